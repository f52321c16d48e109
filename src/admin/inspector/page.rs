//! The inspector's page: one client's linking stories as timelines, each
//! with its sequence diagram, and the clear button.

use super::*;
use crate::linkcheck::diagram::sequence_svg_from;

#[derive(Template)]
#[template(path = "inspector.html")]
struct InspectorPage {
    /// The admin pages' nav, clock banner and CSRF token.
    layout: crate::admin::pages::Layout,
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
    /// The story's sequence diagram (SVG, escaped where it is built).
    diagram: String,
    title: String,
    failed: bool,
    first_failure: Option<String>,
    started: String,
    steps: Vec<StepView>,
}

struct StepView {
    /// `exchange-N`: where the diagram's arrow N links to.
    anchor: String,
    /// Alexa's rules on a proxied answer, one line each.
    findings: Vec<FindingLine>,
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

struct FindingLine {
    failed: bool,
    text: String,
}

/// `FAIL lifetime: expires_in is 120 s → issue tokens … (Amazon: page)`.
fn finding_line(f: &serde_json::Value) -> FindingLine {
    let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
    let mut text = format!(
        "{} {}: {}",
        s("verdict").to_uppercase(),
        s("rule"),
        s("evidence")
    );
    if !s("advice").is_empty() {
        text.push_str(&format!(" → {}", s("advice")));
    }
    if f["assumption"].as_bool() == Some(true) {
        text.push_str(" (assumption: Amazon does not document this)");
    }
    text.push_str(&format!(" — {}", s("page_title")));
    FindingLine {
        failed: f["verdict"] == "fail",
        text,
    }
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
    // Arrows are numbered across the page, so every anchor is unique.
    let mut next = 1;
    let stories = stories
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let first = next;
            next += s.steps.len();
            let exchanges: Vec<_> = s.steps.iter().map(|st| st.exchange()).collect();
            StoryView {
                anchor: format!("story-{}", i + 1),
                diagram: sequence_svg_from(&exchanges, first),
                title: s.title.clone(),
                failed: s.failed,
                first_failure: s.first_failure.clone(),
                started: story::format_ms(s.started_at_ms()),
                steps: s
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(j, st)| StepView {
                        anchor: format!("exchange-{}", first + j),
                        findings: st.findings.iter().map(finding_line).collect(),
                        at: st.at.clone(),
                        headline: st.headline.clone(),
                        failed: st.failed,
                        latency_ms: st.latency_ms(),
                        request: pretty(&st.request),
                        response: pretty(&st.response),
                    })
                    .collect(),
            }
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
    let (layout, cookie) = crate::admin::pages::layout(req, state, "inspector");
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
    Ok(crate::admin::pages::respond(&page, cookie))
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
    if let Err(why) = crate::admin::pages::check_post(&req, form.csrf_token.as_deref()) {
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
