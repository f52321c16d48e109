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

// --- the page ---

#[derive(Template)]
#[template(path = "inspector.html")]
struct InspectorPage {
    /// The admin pages' nav, clock banner and CSRF token.
    layout: super::pages::Layout,
    recording: bool,
    max_per_client: i64,
    clients: Vec<ClientOption>,
    /// The `client_id` shown (as in the query), if any records exist.
    selected: Option<String>,
    export_href: String,
    cleared: Option<u64>,
    stories: Vec<StoryView>,
}

struct ClientOption {
    value: String,
    label: String,
    selected: bool,
}

struct StoryView {
    anchor: String,
    title: String,
    failed: bool,
    first_failure: Option<String>,
    started: String,
    steps: Vec<StepView>,
}

struct StepView {
    at: String,
    headline: String,
    failed: bool,
    latency_ms: f64,
    request: String,
    response: String,
}

#[derive(Template)]
#[template(path = "inspector_message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
}

fn message_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let mut res = crate::web::pages::html(status, &MessagePage { title, message });
    if status == StatusCode::UNAUTHORIZED {
        // The browser then asks for the admin password (user name "admin").
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"mocklink admin\""),
        );
    }
    res
}

/// The guard's refusal as a page instead of JSON.
fn refused(e: AdminError) -> HttpResponse {
    use actix_web::ResponseError;
    let status = e.status_code();
    let title = match status {
        StatusCode::UNAUTHORIZED => "Admin password required",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::BAD_REQUEST => "Bad request",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        _ => "Temporarily unavailable",
    };
    let mut res = message_page(status, title, &e.to_string());
    if let Some(challenge) = e.error_response().headers().get(header::WWW_AUTHENTICATE) {
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge.clone());
    }
    res
}

#[derive(Deserialize, Default)]
struct PageQuery {
    client_id: Option<String>,
    cleared: Option<u64>,
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// `GET /admin/inspector`: one client's linking stories as timelines.
pub(crate) async fn page(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
) -> HttpResponse {
    match render_page(&req, &state).await {
        Ok(res) => res,
        Err(e) => refused(e),
    }
}

async fn render_page(req: &HttpRequest, state: &AdminState) -> Result<HttpResponse, AdminError> {
    let q: PageQuery = query(req)?;
    let known = state.store.inspector_clients().await?;
    // Without a choice: the client with the most recent record.
    let selected = match q.client_id.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(c.to_owned()),
        None => known
            .iter()
            .max_by_key(|(_, _, last)| *last)
            .map(|(id, _, _)| client_label(id).to_owned()),
    };
    let filter = client_filter(selected.as_deref())?;
    let mut clients: Vec<ClientOption> = known
        .iter()
        .map(|(id, n, _)| ClientOption {
            value: client_label(id).to_owned(),
            label: if id.is_empty() {
                format!("requests of no registered client ({n} records)")
            } else {
                format!("{id} ({n} records)")
            },
            selected: selected.as_deref() == Some(client_label(id)),
        })
        .collect();
    if let Some(s) = selected
        .as_deref()
        .filter(|s| !clients.iter().any(|c| c.value == *s))
    {
        clients.push(ClientOption {
            value: s.to_owned(),
            label: format!("{s} (no records)"),
            selected: true,
        });
    }
    let stories = match &filter {
        Some(c) => {
            read_stories(
                state,
                Some(c),
                None,
                state.settings.toolbox.inspector_max_per_client,
            )
            .await?
        }
        None => Vec::new(),
    };
    let stories = stories
        .into_iter()
        .enumerate()
        .map(|(i, s)| StoryView {
            anchor: format!("story-{}", i + 1),
            title: s.title.clone(),
            failed: s.failed,
            first_failure: s.first_failure.clone(),
            started: story::format_ms(s.started_at_ms()),
            steps: s
                .steps
                .iter()
                .map(|st| StepView {
                    at: st.at.clone(),
                    headline: st.headline.clone(),
                    failed: st.failed,
                    latency_ms: st.latency_ms(),
                    request: pretty(&st.request),
                    response: pretty(&st.response),
                })
                .collect(),
        })
        .collect();
    let export_href = match &selected {
        Some(s) => format!(
            "/admin/api/inspector/export?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("client_id", s)
                .finish()
        ),
        None => "/admin/api/inspector/export".into(),
    };
    let (layout, cookie) = super::pages::layout(req, state, "inspector");
    let page = InspectorPage {
        layout,
        recording: state.inspector.is_enabled(),
        max_per_client: state.settings.toolbox.inspector_max_per_client,
        clients,
        selected,
        export_href,
        cleared: q.cleared,
        stories,
    };
    Ok(super::pages::respond(&page, cookie))
}

#[derive(Deserialize)]
pub(crate) struct ClearForm {
    csrf_token: Option<String>,
    client_id: Option<String>,
    /// `client` (default) or `all`.
    what: Option<String>,
}

/// `POST /admin/inspector/clear`: the page's clear button. The admin guard
/// alone is no defence here (a browser sends the Basic password, and a
/// loopback address, with any site's form), so the form must come from a
/// page of this server: the one rule of every admin form (`web::csrf`).
pub(crate) async fn clear_page(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
    form: web::Form<ClearForm>,
) -> HttpResponse {
    if let Err(why) = super::pages::check_post(&req, form.csrf_token.as_deref()) {
        tracing::warn!(
            event = "inspector_clear_refused",
            "cross-site clear refused"
        );
        return message_page(
            StatusCode::FORBIDDEN,
            "Refused",
            &format!("The records were not cleared: {why}. Use the button on the inspector page."),
        );
    }
    let all = form.what.as_deref() == Some("all");
    let client = match client_filter(form.client_id.as_deref()) {
        Ok(c) => c,
        Err(e) => return refused(e),
    };
    if !all && client.is_none() {
        return refused(AdminError::bad("choose a client to clear, or clear all"));
    }
    let deleted = match state
        .store
        .clear_inspector(if all { None } else { client.as_deref() })
        .await
    {
        Ok(n) => n,
        Err(e) => return refused(e.into()),
    };
    tracing::info!(
        event = "inspector_cleared",
        deleted,
        "inspector records cleared"
    );
    let mut back = form_urlencoded::Serializer::new(String::new());
    if let (false, Some(c)) = (all, form.client_id.as_deref()) {
        back.append_pair("client_id", c);
    }
    back.append_pair("cleared", &deleted.to_string());
    crate::web::pages::redirect(
        StatusCode::SEE_OTHER,
        &format!("/admin/inspector?{}", back.finish()),
    )
}

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
