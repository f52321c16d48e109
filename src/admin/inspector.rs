//! The flow inspector's admin side: the JSON API
//! (`GET|DELETE /admin/api/inspector`, `GET /admin/api/inspector/export`)
//! and the page (`GET /admin/inspector`, `POST /admin/inspector/clear`),
//! all behind the admin guard.

use super::error::AdminError;
use super::guard::Admin;
use super::pages::AdminPage;
use crate::admin::AdminState;
use crate::domain::ClientId;
use crate::inspector::story::{self, Story};
use crate::store::InspectorFilter;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

/// The records read by default, and at most, by the list call.
const DEFAULT_LIMIT: i64 = 500;
const MAX_LIMIT: i64 = 10_000;
/// The export reads every ring whole.
const EXPORT_LIMIT: i64 = 10_000_000;
/// The `client_id` that stands for requests no registered client could be
/// told from (a real client id never contains a colon).
pub const UNKNOWN_CLIENT: &str = ":unknown";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Query {
    client_id: Option<String>,
    grant: Option<String>,
    limit: Option<i64>,
}

fn query<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> Result<T, AdminError> {
    serde_urlencoded::from_str(req.query_string())
        .map_err(|e| AdminError::bad(format!("invalid query string: {e}")))
}

/// `None` (absent or empty): every client; `Some("")`: no known client.
fn client_filter(client_id: Option<&str>) -> Result<Option<String>, AdminError> {
    match client_id {
        None | Some("") => Ok(None),
        Some(UNKNOWN_CLIENT) => Ok(Some(String::new())),
        // The recording proxy's records, per upstream.
        Some(c)
            if c.strip_prefix("proxy:")
                .is_some_and(crate::config::valid_upstream_name) =>
        {
            Ok(Some(c.to_owned()))
        }
        Some(c) => ClientId::parse(c)
            .map(|c| Some(c.to_string()))
            .map_err(|e| AdminError::bad(format!("client_id: {e}"))),
    }
}

fn grant_filter(grant: Option<&str>) -> Result<Option<&str>, AdminError> {
    match grant {
        None | Some("") => Ok(None),
        Some(g) if g.len() <= 64 && g.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {
            Ok(Some(g))
        }
        Some(_) => Err(AdminError::bad(
            "grant must be a grant id: up to 64 letters, digits and '-'",
        )),
    }
}

fn client_label(id: &str) -> &str {
    if id.is_empty() {
        UNKNOWN_CLIENT
    } else {
        id
    }
}

async fn read_stories(
    state: &AdminState,
    client: Option<&str>,
    grant: Option<&str>,
    limit: i64,
) -> Result<Vec<Story>, AdminError> {
    let records = state
        .store
        .inspector_records(
            InspectorFilter {
                client_id: client,
                grant_id: grant,
            },
            limit,
        )
        .await?;
    Ok(story::stories(records))
}

async fn listing(
    state: &AdminState,
    q: &Query,
    limit: i64,
) -> Result<serde_json::Value, AdminError> {
    let client = client_filter(q.client_id.as_deref())?;
    let grant = grant_filter(q.grant.as_deref())?;
    let stories = read_stories(state, client.as_deref(), grant, limit).await?;
    let clients: Vec<_> = state
        .store
        .inspector_clients()
        .await?
        .into_iter()
        .map(|(id, n, _)| json!({"client_id": client_label(&id), "records": n}))
        .collect();
    Ok(json!({
        "recording": state.inspector.is_enabled(),
        "max_per_client": state.settings.toolbox.inspector_max_per_client,
        "client_id": client.as_deref().map(client_label),
        "grant": grant,
        "clients": clients,
        "groups": stories.iter().map(Story::to_json).collect::<Vec<_>>(),
    }))
}

/// The newest records, grouped into one linking story per grant.
#[utoipa::path(get, path = "/admin/api/inspector", tag = "admin",
    params(
        ("client_id" = Option<String>, Query, description = "Only this client (`:unknown`: requests of no registered client); all if absent"),
        ("grant" = Option<String>, Query, description = "Only this grant, with the steps before its code"),
        ("limit" = Option<i64>, Query, description = "Newest records read, 1–10000 (default 500)"),
    ),
    responses(
        (status = 200, description = "`{recording, max_per_client, clients: [{client_id, records}], groups: [{key, title, grant_id, flow_id, user, failed, first_failure, started_at_ms, last_at_ms, events: [...]}]}`; events oldest first, groups most recently active first; secrets redacted", body = Object),
        crate::admin::docs::AdminErrors,
    ))]
pub(crate) async fn list_records(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let q: Query = query(&req)?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AdminError::bad(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(listing(&state, &q, limit).await?))
}

/// Every record (of one client, or all) as a JSON file.
#[utoipa::path(get, path = "/admin/api/inspector/export", tag = "admin",
    params(
        ("client_id" = Option<String>, Query, description = "Only this client (`:unknown`: requests of no registered client); all if absent"),
        ("grant" = Option<String>, Query, description = "Only this grant"),
    ),
    responses(
        (status = 200, description = "The same shape as `GET /admin/api/inspector`, every record, plus `exported_at_ms`", body = Object,
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"mocklink-inspector-….json\"`"))),
        crate::admin::docs::AdminErrors,
    ))]
pub(crate) async fn export_records(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let q: Query = query(&req)?;
    if q.limit.is_some() {
        return Err(AdminError::bad(
            "the export has every record; limit is for GET /admin/api/inspector",
        ));
    }
    let mut body = listing(&state, &q, EXPORT_LIMIT).await?;
    body["exported_at_ms"] = json!(state.clock.now_ms());
    // Client ids are visible ASCII; only these characters reach the name.
    let name: String = match q.client_id.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => c
            .chars()
            .map(|ch| {
                if ch.is_ascii_alphanumeric() || "-_.".contains(ch) {
                    ch
                } else {
                    '_'
                }
            })
            .collect(),
        None => "all".into(),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"mocklink-inspector-{name}.json\""),
        ))
        .json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClearQuery {
    client_id: Option<String>,
}

/// Deletes the records of one client, or of all.
#[utoipa::path(delete, path = "/admin/api/inspector", tag = "admin",
    params(("client_id" = Option<String>, Query, description = "Only this client (`:unknown`: requests of no registered client); all if absent")),
    responses(
        (status = 200, description = "`{\"deleted\": n}`", body = Object),
        crate::admin::docs::AdminErrors,
    ))]
pub(crate) async fn clear_records(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let q: ClearQuery = query(&req)?;
    let client = client_filter(q.client_id.as_deref())?;
    let deleted = state.store.clear_inspector(client.as_deref()).await?;
    tracing::info!(
        event = "inspector_cleared",
        deleted,
        "inspector records cleared"
    );
    Ok(HttpResponse::Ok().json(json!({ "deleted": deleted })))
}

mod page;
pub(crate) use page::{clear_page, page};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_and_grant_filters() {
        assert_eq!(client_filter(None).unwrap(), None);
        assert_eq!(client_filter(Some("")).unwrap(), None);
        assert_eq!(
            client_filter(Some(UNKNOWN_CLIENT)).unwrap(),
            Some(String::new())
        );
        assert_eq!(
            client_filter(Some("alexa-skill")).unwrap(),
            Some("alexa-skill".into())
        );
        assert!(client_filter(Some("a b")).is_err());
        assert!(grant_filter(Some("1b4e28ba-2fa1-11d2-883f-0016d3cca427")).is_ok());
        assert!(grant_filter(Some("x' OR 1=1")).is_err());
    }
}
