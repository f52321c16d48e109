//! The virtual clock's admin operations, shared by the JSON API, the admin
//! pages and (for reading) the banner every admin page shows.
//!
//! Offsets only move forward (reset to go back); a client's offset is added
//! to the global one for everything judged on behalf of that client.

use super::error::AdminError;
use crate::admin::AdminState;
use crate::domain::ClientId;
use serde::Serialize;

/// The longest virtual-clock jump one call may make (ten years).
pub const MAX_ADVANCE: i64 = 10 * 365 * 24 * 3600;

/// The virtual clock as the admin API answers it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClockView {
    /// The server's global "now" (Unix seconds).
    pub now: i64,
    /// The global offset from real time, in seconds.
    pub offset_seconds: i64,
    /// True if the global clock or any client's is shifted.
    pub shifted: bool,
    /// Clients with a clock of their own (on top of the global offset).
    pub clients: Vec<ClientClock>,
}

/// One client's own clock.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientClock {
    pub client_id: String,
    /// Added to the global offset for this client.
    pub offset_seconds: i64,
    /// "Now" for this client (Unix seconds).
    pub now: i64,
}

pub fn view(state: &AdminState) -> ClockView {
    let now = state.clock.now();
    ClockView {
        now,
        offset_seconds: state.clock.shared_offset(),
        shifted: state.clock.is_shifted(),
        clients: state
            .clock
            .client_offsets()
            .into_iter()
            .map(|(client_id, offset_seconds)| ClientClock {
                client_id,
                offset_seconds,
                now: now + offset_seconds,
            })
            .collect(),
    }
}

/// A registered client's id, or a clear error.
async fn known_client(state: &AdminState, client_id: &str) -> Result<ClientId, AdminError> {
    let id = ClientId::parse(client_id).map_err(|e| AdminError::bad(e.to_string()))?;
    if state.store.client(&id).await?.is_none() {
        return Err(AdminError::NotFound(format!("no client '{id}'")));
    }
    Ok(id)
}

/// Moves the global clock, or one client's, `seconds` forward for every
/// instance sharing the database.
pub async fn advance(
    state: &AdminState,
    seconds: i64,
    client_id: Option<&str>,
) -> Result<ClockView, AdminError> {
    if !(1..=MAX_ADVANCE).contains(&seconds) {
        return Err(AdminError::bad(format!(
            "seconds must be between 1 and {MAX_ADVANCE}; the clock only moves forward (reset to go back)"
        )));
    }
    let now = state.clock.now();
    match client_id {
        None => {
            let offset = state.store.advance_clock_offset(seconds, now).await?;
            state.clock.set_shared_offset(offset);
            tracing::warn!(
                event = "clock_advanced",
                seconds,
                offset,
                "virtual clock advanced"
            );
        }
        Some(c) => {
            let id = known_client(state, c).await?;
            let offset = state
                .store
                .advance_client_clock_offset(id.as_str(), seconds, now)
                .await?;
            state.clock.set_client_offset(id.as_str(), offset);
            tracing::warn!(event = "clock_advanced", client = %id, seconds, offset, "a client's virtual clock advanced");
        }
    }
    Ok(view(state))
}

/// Back to real time: one client's clock (`Some`), or every clock (`None`).
pub async fn reset(state: &AdminState, client_id: Option<&str>) -> Result<ClockView, AdminError> {
    match client_id {
        None => {
            state.store.reset_clock_offset().await?;
            state.store.reset_client_clock_offsets(None).await?;
            state.clock.set_shared_offset(0);
            state.clock.clear_client_offsets();
            tracing::info!(event = "clock_reset", "virtual clock reset");
        }
        Some(c) => {
            let id = known_client(state, c).await?;
            state
                .store
                .reset_client_clock_offsets(Some(id.as_str()))
                .await?;
            state.clock.set_client_offset(id.as_str(), 0);
            tracing::info!(event = "clock_reset", client = %id, "a client's virtual clock reset");
        }
    }
    Ok(view(state))
}
