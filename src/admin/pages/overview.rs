//! The overview: the values to paste into the Alexa console, per client.

use super::*;

#[derive(Template)]
#[template(path = "admin_overview.html")]
struct OverviewPage {
    layout: Layout,
    clients: Vec<ClientChoice>,
    console: Vec<CopyValue>,
    redirect_uris: Vec<CopyValue>,
    secret_hint: String,
    counts: Vec<(&'static str, &'static str, usize)>,
}

/// The scopes Alexa should ask for with this client: the simulator's own
/// setting for the client it links as, else everything the client may hold.
fn console_scopes(state: &AdminState, client: &Client) -> String {
    if client.id.as_str() == state.settings.alexa_client_id() {
        state.settings.simulator.scopes.clone()
    } else {
        client.scopes.to_string()
    }
}

fn secret_hint(state: &AdminState, client: &Client) -> String {
    let s = &state.settings;
    if client.is_public() {
        "none: a public client (PKCE only); leave the secret empty".into()
    } else if s.demo_seed && client.id.as_str() == s.demo_client_id {
        if s.demo_client_secret == crate::config::DEMO_CLIENT_SECRET {
            format!("{} (the demo default)", s.demo_client_secret)
        } else {
            "the demo_client_secret of your configuration".into()
        }
    } else {
        "the secret printed when the client was created (only its SHA-256 is stored)".into()
    }
}

pub(super) async fn overview(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageFailure> {
    let all = state.store.clients().await?;
    let wanted = query(&req, "client").unwrap_or_else(|| state.settings.alexa_client_id());
    let chosen = all
        .iter()
        .find(|c| c.id.as_str() == wanted)
        .or_else(|| all.first());
    let base = state.settings.public_url();
    let (console, redirect_uris, secret_hint) = match chosen {
        Some(c) => {
            let v = |id: &str, label: &str, value: String| CopyValue {
                id: id.into(),
                label: label.into(),
                value,
            };
            (
                vec![
                    v(
                        "console-authorization-uri",
                        "Your Web Authorization URI",
                        format!("{base}/authorize"),
                    ),
                    v(
                        "console-token-uri",
                        "Access Token URI",
                        format!("{base}/api/token"),
                    ),
                    v("console-client-id", "Your Client ID", c.id.to_string()),
                    v(
                        "console-auth-scheme",
                        "Your Authentication Scheme",
                        if c.is_public() {
                            "Credentials in request body (public client: no secret)".into()
                        } else {
                            "HTTP Basic (Recommended); Credentials in request body works too".into()
                        },
                    ),
                    v("console-scopes", "Scope", console_scopes(&state, c)),
                ],
                c.redirect_uris
                    .iter()
                    .enumerate()
                    .map(|(n, u)| {
                        v(
                            &format!("console-redirect-{}", n + 1),
                            &format!("Redirect URI {}", n + 1),
                            u.to_string(),
                        )
                    })
                    .collect(),
                secret_hint(&state, c),
            )
        }
        None => (Vec::new(), Vec::new(), String::new()),
    };
    let now = state.clock.now();
    let counts = vec![
        ("Users", "/admin/users", state.store.users().await?.len()),
        ("Clients", "/admin/clients", all.len()),
        (
            "Live grants",
            "/admin/grants",
            state.store.live_grants().await?.len(),
        ),
        (
            "Scenarios in force",
            "/admin/scenarios",
            state.store.active_scenarios(now).await?.len(),
        ),
        (
            "Signing keys",
            "/admin/keys",
            state.store.signing_keys().await?.len(),
        ),
    ];
    let client_id = chosen.map(|c| c.id.to_string());
    let (layout, cookie) = layout(&req, &state, "overview");
    Ok(respond(
        &OverviewPage {
            layout,
            clients: all
                .iter()
                .map(|c| ClientChoice {
                    id: c.id.to_string(),
                    name: c.name.clone(),
                    selected: Some(c.id.to_string()) == client_id,
                })
                .collect(),
            console,
            redirect_uris,
            secret_hint,
            counts,
        },
        cookie,
    ))
}
