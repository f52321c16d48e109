//! Scenarios: the scripted faults in force, the form to add one and the one-click presets.

use super::*;

struct ScenarioRow {
    id: String,
    kind: String,
    client: String,
    user: String,
    details: String,
    remaining: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "admin_scenarios.html")]
struct ScenariosPage {
    layout: Layout,
    scenarios: Vec<ScenarioRow>,
    clients: Vec<ClientChoice>,
    users: Vec<String>,
    kinds: Vec<&'static str>,
    grant_types: Vec<&'static str>,
    token_errors: Vec<&'static str>,
}

pub(super) async fn scenarios(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageFailure> {
    let now = state.clock.now();
    let scenarios = state
        .store
        .active_scenarios(now)
        .await?
        .into_iter()
        .map(|s| {
            let mut details = Vec::new();
            if let Some(e) = &s.error {
                details.push(format!("error={e}"));
            }
            if let Some(v) = s.status {
                details.push(format!("status={v}"));
            }
            if let Some(v) = s.delay_ms {
                details.push(format!("delay_ms={v}"));
            }
            if let Some(v) = s.seconds {
                details.push(format!("seconds={v}"));
            }
            if let Some(v) = &s.path {
                details.push(format!("path={v}"));
            }
            if let Some(v) = &s.grant_type {
                details.push(format!("grant_type={v}"));
            }
            ScenarioRow {
                id: s.id,
                kind: s.kind,
                client: s.client_id.unwrap_or_else(|| "any".into()),
                user: s.user_id.unwrap_or_else(|| "any".into()),
                details: details.join(" "),
                remaining: s
                    .remaining
                    .map_or_else(|| "until it expires".into(), |r| r.to_string()),
                expires: s.expires_at.map_or_else(
                    || "after its uses".into(),
                    |e| format!("{} (in {} s)", when(e), e - now),
                ),
            }
        })
        .collect();
    let default_client = state.settings.alexa_client_id();
    let clients = state
        .store
        .clients()
        .await?
        .into_iter()
        .map(|c| ClientChoice {
            selected: c.id.as_str() == default_client,
            id: c.id.to_string(),
            name: c.name,
        })
        .collect();
    let users = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| u.id.to_string())
        .collect();
    let (layout, cookie) = layout(&req, &state, "scenarios");
    Ok(respond(
        &ScenariosPage {
            layout,
            scenarios,
            clients,
            users,
            kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
            grant_types: GRANT_TYPES.to_vec(),
            token_errors: vec![
                "invalid_grant",
                "invalid_client",
                "server_error",
                "temporarily_unavailable",
            ],
        },
        cookie,
    ))
}

/// The add form's fields as the spec the JSON API takes.
fn spec_from_form(form: &BTreeMap<String, String>) -> Result<ScenarioSpec, PageFailure> {
    let kind = field(form, "kind").ok_or_else(|| PageFailure::bad("choose a kind"))?;
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind)
        .ok_or_else(|| PageFailure::bad(format!("unknown kind '{kind}'")))?;
    let status = number(form, "status")?
        .map(|s| {
            u16::try_from(s).map_err(|_| PageFailure::bad("status must be between 400 and 599"))
        })
        .transpose()?;
    Ok(ScenarioSpec {
        id: field(form, "id"),
        kind,
        client_id: field(form, "client_id"),
        user: field(form, "user"),
        error: field(form, "error"),
        status,
        delay_ms: number(form, "delay_ms")?,
        seconds: number(form, "seconds")?,
        path: field(form, "path"),
        grant_type: field(form, "grant_type"),
        count: number(form, "count")?,
        expires_in: number(form, "expires_in")?,
    })
}

pub(super) async fn add_scenario(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &form)?;
    let spec = spec_from_form(&form)?;
    crate::admin::set_scenario(&state, spec, None).await?;
    Ok(done("/admin/scenarios", "scenario-added"))
}

/// The one-click presets (see `scenarios::Preset`). "Refresh fails" can also
/// move the client's clock past its access-token lifetime, so the simulator's
/// next request refreshes (and fails) at once instead of in an hour.
pub(super) async fn preset(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &form)?;
    let preset = field(&form, "preset")
        .and_then(|p| Preset::parse(&p))
        .ok_or_else(|| PageFailure::bad("unknown preset"))?;
    let client_id = field(&form, "client_id").ok_or_else(|| PageFailure::bad("choose a client"))?;
    crate::admin::set_scenario(&state, preset.spec(&client_id), Some(preset.id_prefix())).await?;
    if preset == Preset::RefreshFails && field(&form, "advance_clock").is_some() {
        let id = ClientId::parse(&client_id).map_err(|e| PageFailure::bad(e.to_string()))?;
        if let Some(client) = state.store.client(&id).await? {
            // Past the lifetime and the verification leeway.
            clock::advance(&state, client.access_token_ttl + 60, Some(id.as_str())).await?;
        }
    }
    let what = match preset {
        Preset::UnableToLink => "preset-unable-to-link",
        Preset::RefreshFails => "preset-refresh-fails",
    };
    Ok(done("/admin/scenarios", what))
}

pub(super) async fn clear_scenario(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &form)?;
    let id = field(&form, "id").ok_or_else(|| PageFailure::bad("id is required"))?;
    crate::admin::clear_scenario(&state, &id).await?;
    Ok(done("/admin/scenarios", "scenario-cleared"))
}

pub(super) async fn clear_all(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &form)?;
    state.store.delete_all_scenarios().await?;
    state.faults.invalidate();
    Ok(done("/admin/scenarios", "scenarios-cleared"))
}
