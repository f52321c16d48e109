//! Clients: registered apps, their redirect URIs, policies and secrets' hints.

use super::*;

struct ClientView {
    id: String,
    name: String,
    public: bool,
    grant_types: String,
    refresh_policy: String,
    access_token_ttl: String,
    refresh_token_ttl: String,
    scopes: String,
    redirect_uris: Vec<CopyValue>,
    client_id_field: CopyValue,
    clock_offset: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_clients.html")]
struct ClientsPage {
    layout: Layout,
    clients: Vec<ClientView>,
}

pub(super) async fn clients(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageFailure> {
    let clients = state
        .store
        .clients()
        .await?
        .into_iter()
        .enumerate()
        .map(|(n, c)| {
            let offset = state.clock.client_offset(c.id.as_str());
            ClientView {
                client_id_field: CopyValue {
                    id: format!("client-{}-id", n + 1),
                    label: "Client ID".into(),
                    value: c.id.to_string(),
                },
                redirect_uris: c
                    .redirect_uris
                    .iter()
                    .enumerate()
                    .map(|(m, u)| CopyValue {
                        id: format!("client-{}-redirect-{}", n + 1, m + 1),
                        label: format!("Redirect URI {}", m + 1),
                        value: u.to_string(),
                    })
                    .collect(),
                grant_types: if c.is_public() {
                    "authorization_code (PKCE), refresh_token"
                } else {
                    "authorization_code, refresh_token, client_credentials"
                }
                .into(),
                refresh_policy: match c.refresh_policy {
                    crate::store::RefreshPolicy::Rotate if c.refresh_grace_seconds > 0 => format!(
                        "rotate (a retired refresh token is accepted for {} s)",
                        c.refresh_grace_seconds
                    ),
                    crate::store::RefreshPolicy::Rotate => {
                        "rotate (reusing a retired refresh token revokes the grant)".into()
                    }
                    crate::store::RefreshPolicy::Reuse => {
                        "reuse (the refresh token stays valid)".into()
                    }
                },
                access_token_ttl: duration(c.access_token_ttl),
                refresh_token_ttl: duration(c.refresh_token_ttl),
                scopes: c.scopes.to_string(),
                public: c.is_public(),
                clock_offset: (offset != 0).then(|| format!("+{}", duration(offset))),
                id: c.id.to_string(),
                name: c.name,
            }
        })
        .collect();
    let (layout, cookie) = layout(&req, &state, "clients");
    Ok(respond(&ClientsPage { layout, clients }, cookie))
}
