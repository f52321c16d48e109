//! Users: who exists, persona, lock, linked grants.

use super::*;

struct UserRow {
    id: String,
    display_name: String,
    country: String,
    product: String,
    persona: String,
    locked: bool,
    grants: usize,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
}

pub(super) async fn users(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageFailure> {
    let grants = state.store.live_grants().await?;
    let users = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| UserRow {
            grants: grants.iter().filter(|g| g.user_id == u.id.as_str()).count(),
            id: u.id.to_string(),
            display_name: u.display_name,
            country: u.country,
            product: u.product,
            persona: u.persona.unwrap_or_default(),
            locked: u.locked_at.is_some(),
        })
        .collect();
    let (layout, cookie) = layout(&req, &state, "users");
    Ok(respond(&UsersPage { layout, users }, cookie))
}
