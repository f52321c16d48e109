//! Grants: live links between users and clients, with revoke buttons.

use super::*;

struct GrantRow {
    grant_id: String,
    user_id: String,
    client_id: String,
    client_name: String,
    scopes: String,
    linked_at: String,
    expires_at: String,
    expired: bool,
}

#[derive(Template)]
#[template(path = "admin_grants.html")]
struct GrantsPage {
    layout: Layout,
    grants: Vec<GrantRow>,
    /// Users with live grants, for "revoke all of user".
    users: Vec<(String, usize)>,
}

pub(super) async fn grants(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageFailure> {
    let live = state.store.live_grants().await?;
    let mut users: BTreeMap<String, usize> = BTreeMap::new();
    for g in &live {
        *users.entry(g.user_id.clone()).or_default() += 1;
    }
    let grants = live
        .into_iter()
        .map(|g| GrantRow {
            expired: g.expires_at <= state.clock.now_for(&g.client_id),
            linked_at: when(g.activated_at),
            expires_at: when(g.expires_at),
            grant_id: g.grant_id,
            user_id: g.user_id,
            client_id: g.client_id,
            client_name: g.client_name,
            scopes: g.scopes,
        })
        .collect();
    let (layout, cookie) = layout(&req, &state, "grants");
    Ok(respond(
        &GrantsPage {
            layout,
            grants,
            users: users.into_iter().collect(),
        },
        cookie,
    ))
}

pub(super) async fn revoke_grant(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &form)?;
    let grant_id =
        field(&form, "grant_id").ok_or_else(|| PageFailure::bad("grant_id is required"))?;
    crate::admin::revoke_one_grant(&state, &grant_id).await?;
    Ok(done("/admin/grants", "revoked"))
}

pub(super) async fn revoke_user(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &form)?;
    let user = field(&form, "user").ok_or_else(|| PageFailure::bad("user is required"))?;
    let user = crate::admin::parse_user(&user)?;
    crate::admin::revoke_all_of_user(&state, &user).await?;
    Ok(done("/admin/grants", "revoked-user"))
}
