//! The virtual clock: global and per-client offsets, advance and reset.

use super::*;

struct ClientClockRow {
    client_id: String,
    offset: String,
    now: String,
}

#[derive(Template)]
#[template(path = "admin_clock.html")]
struct ClockPage {
    layout: Layout,
    now: String,
    real_now: String,
    global_offset: String,
    client_clocks: Vec<ClientClockRow>,
    clients: Vec<ClientChoice>,
    max_advance: i64,
}

pub(super) async fn clock_page(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageFailure> {
    let view = clock::view(&state);
    let clients = state
        .store
        .clients()
        .await?
        .into_iter()
        .map(|c| ClientChoice {
            selected: false,
            id: c.id.to_string(),
            name: c.name,
        })
        .collect();
    let (layout, cookie) = layout(&req, &state, "clock");
    Ok(respond(
        &ClockPage {
            layout,
            now: when(view.now),
            real_now: when(view.now - state.clock.offset()),
            global_offset: duration(view.offset_seconds),
            client_clocks: view
                .clients
                .iter()
                .map(|c| ClientClockRow {
                    client_id: c.client_id.clone(),
                    offset: format!("+{}", duration(c.offset_seconds)),
                    now: when(c.now),
                })
                .collect(),
            clients,
            max_advance: MAX_ADVANCE,
        },
        cookie,
    ))
}

pub(super) async fn advance_clock(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &form)?;
    let seconds =
        number(&form, "seconds")?.ok_or_else(|| PageFailure::bad("seconds is required"))?;
    clock::advance(&state, seconds, field(&form, "client_id").as_deref()).await?;
    Ok(done("/admin/clock", "clock-advanced"))
}

/// Resets one client's clock (`client_id`), or every clock.
pub(super) async fn reset_clock(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &form)?;
    clock::reset(&state, field(&form, "client_id").as_deref()).await?;
    // Back where the button was pressed (the banner is on every page).
    let back = field(&form, "back")
        .filter(|b| NAV.iter().any(|(_, path, _)| path == b))
        .unwrap_or_else(|| "/admin/clock".into());
    Ok(done(&back, "clock-reset"))
}
