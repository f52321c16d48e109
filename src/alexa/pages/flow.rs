//! A linking flow's log as a page, and the account-linking redirect URL the
//! provider sends the browser back to (`/api/skill/link/{vendorId}`).

use super::*;

#[derive(Template)]
#[template(path = "alexa_flow.html")]
struct FlowPage<'a> {
    flow_id: &'a str,
    user_id: &'a str,
    /// The sequence diagram (SVG, escaped where it is built).
    diagram: String,
    entries: Vec<FlowRow>,
    findings: Vec<FlowFinding>,
    strict: bool,
}

struct FlowRow {
    /// `exchange-N` on a request entry: where the diagram's arrow N links to.
    anchor: Option<String>,
    at: String,
    step: String,
    direction: String,
    line: String,
    headers: String,
    body: String,
}

fn flow_row(e: &FlowEntry) -> FlowRow {
    let line = match (e.direction.as_str(), &e.method, &e.url, e.status) {
        ("request", Some(m), Some(u), _) => format!("{m} {u}"),
        ("response", _, _, Some(s)) => format!("HTTP {s}"),
        _ => String::new(),
    };
    let headers = match &e.headers {
        serde_json::Value::Object(m) if !m.is_empty() => m
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or("")))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    FlowRow {
        anchor: None,
        at: crate::clock::rfc3339(e.at),
        step: e.step.clone(),
        direction: e.direction.clone(),
        line,
        headers,
        body: e.body.clone(),
    }
}

pub(crate) async fn flow_entries(
    state: &SimulatorState,
    flow: &str,
) -> Result<Vec<FlowEntry>, AlexaError> {
    let entries = if flow.len() <= 64 && crate::alexa::is_plain_id(flow) {
        state.store.flow(flow).await?
    } else {
        Vec::new()
    };
    if entries.is_empty() {
        return Err(AlexaError::NotFound(format!(
            "There is no flow log {flow}."
        )));
    }
    Ok(entries)
}

/// `GET /alexa/flows/{flow}`
pub(crate) async fn flow_page(
    _: SimulatorUser,
    state: web::Data<SimulatorState>,
    flow: web::Path<String>,
) -> Result<HttpResponse, SimulatorPageError> {
    let entries = flow_entries(&state, &flow).await?;
    let user_id = entries[0].user_id.clone();
    let (exchanges, numbers) = super::flow_diagram::exchanges(&entries);
    let rows = entries
        .iter()
        .zip(numbers)
        .map(|(e, n)| FlowRow {
            anchor: n.map(|n| format!("exchange-{n}")),
            ..flow_row(e)
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        &FlowPage {
            flow_id: &flow,
            user_id: &user_id,
            entries: rows,
            diagram: crate::linkcheck::sequence_svg(&exchanges),
            findings: state.store.flow_findings(&entries[0].flow_id).await?,
            strict: crate::alexa::rules::strict(&state),
        },
    ))
}

/// `GET /api/skill/link/{vendorId}?code=…&state=…`: where the provider sends
/// the browser back; ends on a result page like Alexa's.
pub(crate) async fn link_callback(
    req: HttpRequest,
    state: web::Data<SimulatorState>,
    vendor: web::Path<String>,
    query: web::Query<Callback>,
) -> Result<HttpResponse, SimulatorPageError> {
    let linked = link::callback(&state, &vendor, req.query_string(), &query).await?;
    Ok(linked_page(&state, &linked))
}

/// "Account linked", with the link's findings.
pub(crate) fn linked_page(state: &SimulatorState, linked: &link::Linked) -> HttpResponse {
    let back = user_path_for(&linked.skill, &linked.user_id);
    let message = format!("{} has been successfully linked.", linked.skill_name);
    html(
        StatusCode::OK,
        &MessagePage {
            title: "Account linked",
            message: &message,
            is_error: false,
            back: &back,
            findings: &linked.findings,
            strict: crate::alexa::rules::strict(state),
        },
    )
}
