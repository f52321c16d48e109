//! GET /v1/me/player/recently-played: the listening history, paged by time cursors.

use crate::api::auth::Bearer;
use crate::api::error::ApiError;
use crate::api::library::ensure;
use crate::api::model::{iso8601_ms, Context, CursorPage, Cursors, FullTrack, Links, PlayHistory};
use crate::api::params::Query;
use crate::api::playback::{self, Played};
use crate::api::ApiState;
use crate::store::{HistoryWindow, NewPlay, PlayRecord};
use actix_web::{web, HttpRequest, HttpResponse};

pub(super) fn to_store(played: Vec<Played>) -> Vec<NewPlay> {
    played
        .into_iter()
        .map(|p| NewPlay {
            track_id: p.track_id,
            played_at_ms: p.at_ms,
            context_uri: p.context_uri,
        })
        .collect()
}

/// Most plays one page of the history holds.
const MAX_HISTORY_PAGE: i64 = 50;

/// GET /v1/me/player/recently-played: tracks that played to their end or
/// for at least 30 seconds, newest first, paged by time cursors.
#[utoipa::path(
    get,
    path = "/v1/me/player/recently-played",
    tag = "api",
    security(("bearer" = ["user-read-recently-played"])),
    params(("limit" = Option<i64>, Query, minimum = 1, maximum = 50, description = "1 to 50, default 20"), ("after" = Option<i64>, Query, minimum = 0, description = "Unix ms: the plays after this time (not with `before`)"), ("before" = Option<i64>, Query, minimum = 0, description = "Unix ms: the plays before this time (not with `after`)")),
    responses((status = 200, description = "A cursor page of plays", body = crate::api::model::CursorPage<crate::api::model::PlayHistory>), (status = 400, description = "Bad parameter or body", body = crate::api::docs::SpotifyErrorBody), (status = 401, description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)", body = crate::api::docs::SpotifyErrorBody), (status = 403, description = "Missing scope (`error=\"insufficient_scope\"`) or not allowed", body = crate::api::docs::SpotifyErrorBody), (status = 405, description = "Method not allowed", body = crate::api::docs::SpotifyErrorBody))
)]
pub async fn recently_played(
    state: web::Data<ApiState>,
    bearer: Bearer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    bearer.require("user-read-recently-played")?;
    let q = Query::of(&req);
    let limit = match q.get("limit") {
        None => 20,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_HISTORY_PAGE).contains(n))
            .ok_or_else(|| ApiError::bad("Invalid limit"))?,
    };
    let cursor = |name: &str| {
        q.get(name)
            .map(|s| {
                s.parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| ApiError::bad(format!("Invalid {name}")))
            })
            .transpose()
    };
    let window = match (cursor("after")?, cursor("before")?) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad(
                "Only one of the parameters after and before may be given",
            ))
        }
        (Some(t), None) => HistoryWindow::After(t),
        (None, Some(t)) => HistoryWindow::Before(t),
        (None, None) => HistoryWindow::Latest,
    };
    ensure(&state, &user).await?;
    // Tracks the player finished since its last change are not stored yet
    // (nothing is written on a read); they are newer than every stored play.
    let mut pending = Vec::new();
    if let Some(mut p) = state.store.playback(&user).await? {
        if p.device_id.is_some() {
            let durations = state.store.track_durations(&p.track_ids).await?;
            pending = playback::settle(&mut p, crate::api::now_ms(&state), &durations);
        }
    }
    pending.retain(|x| match window {
        HistoryWindow::Latest => true,
        HistoryWindow::Before(t) => x.at_ms < t,
        HistoryWindow::After(t) => x.at_ms > t,
    });
    let ids: Vec<String> = pending.iter().map(|x| x.track_id.clone()).collect();
    let tracks = state.store.tracks_by_ids(&ids).await?;
    let mut plays: Vec<PlayRecord> = pending
        .into_iter()
        .rev()
        .filter_map(|x| {
            let track = tracks.iter().find(|t| t.id == x.track_id)?.clone();
            Some(PlayRecord {
                played_at_ms: x.at_ms,
                context_uri: x.context_uri,
                track,
            })
        })
        .collect();
    plays.extend(state.store.play_history(&user, window, limit + 1).await?);
    // Newest first. `after` pages keep the oldest plays after the cursor,
    // the others the newest ones (and say whether older ones remain).
    let more = match window {
        HistoryWindow::After(_) => {
            let cut = plays.len().saturating_sub(limit as usize);
            plays.drain(..cut);
            false
        }
        _ => {
            let more = plays.len() > limit as usize;
            plays.truncate(limit as usize);
            more
        }
    };
    let links = Links::new(&state.settings.public_url());
    let base = links.api("me/player/recently-played");
    let link = |pairs: &[(&str, String)]| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
        format!("{base}?{}", q.finish())
    };
    let mut href_pairs = vec![("limit", limit.to_string())];
    match window {
        HistoryWindow::After(t) => href_pairs.push(("after", t.to_string())),
        HistoryWindow::Before(t) => href_pairs.push(("before", t.to_string())),
        HistoryWindow::Latest => {}
    }
    let cursors = match (plays.first(), plays.last()) {
        (Some(newest), Some(oldest)) => Some(Cursors {
            after: newest.played_at_ms.to_string(),
            before: oldest.played_at_ms.to_string(),
        }),
        _ => None,
    };
    let next = match (&cursors, more) {
        (Some(c), true) => Some(link(&[
            ("before", c.before.clone()),
            ("limit", limit.to_string()),
        ])),
        _ => None,
    };
    let items = plays
        .iter()
        .map(|x| PlayHistory {
            track: FullTrack::new(&links, &x.track),
            played_at: iso8601_ms(x.played_at_ms),
            context: x
                .context_uri
                .as_deref()
                .and_then(|uri| Context::new(&links, uri)),
        })
        .collect();
    Ok(HttpResponse::Ok().json(CursorPage {
        href: link(&href_pairs),
        items,
        limit,
        next,
        cursors,
    }))
}
