//! The player's rules, without HTTP or database: how progress advances with
//! time and what each command does to the stored playback row.
//!
//! Device activation: every user has a few seeded devices, none active, so a
//! fresh user's `GET /v1/me/player` is 204 and commands answer 404
//! NO_ACTIVE_DEVICE, as on Spotify when no app is open. A device becomes
//! active through `PUT /v1/me/player` (transfer) or any command given
//! `?device_id=`; it stays active until another one is chosen.

use super::error::PlayerReason;
use crate::store::PlaybackRecord;
use std::collections::{HashMap, VecDeque};

/// Longest play order kept (a context longer than this is cut).
pub const MAX_QUEUE: usize = 1000;
/// `previous` within this much of a track's start goes to the previous track;
/// later it restarts the current one (Spotify's behaviour).
pub const RESTART_THRESHOLD_MS: i64 = 3000;

/// Track durations by id, for the tracks of the play order.
pub type Durations = HashMap<String, i64>;

fn duration(d: &Durations, id: &str) -> i64 {
    // Never zero, so the loop below always makes progress.
    d.get(id).copied().unwrap_or(180_000).max(1000)
}

pub fn current_track(p: &PlaybackRecord) -> Option<&str> {
    p.track_ids.get(p.position as usize).map(String::as_str)
}

/// A track leaving the player counts as played (for the listening history)
/// when it played to its end or for at least this long, as on Spotify.
pub const COUNTS_AS_PLAYED_MS: i64 = 30_000;
/// Most plays one settle reports (the history endpoint shows at most 50).
pub const MAX_REPORTED_PLAYS: usize = 50;

/// One entry of the listening history: a track that was played, when it
/// stopped playing, and what it was played from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Played {
    pub track_id: String,
    pub at_ms: i64,
    pub context_uri: Option<String>,
}

/// Brings the row to `now_ms`: progress advances while playing, rolling into
/// the next tracks; at the end of the order with repeat off, playback returns
/// to the first track, paused. Returns the tracks that played to their end on
/// the way, oldest first (at most `MAX_REPORTED_PLAYS`, the latest ones).
pub fn settle(p: &mut PlaybackRecord, now_ms: i64, d: &Durations) -> Vec<Played> {
    let mut played: VecDeque<Played> = VecDeque::new();
    let mut finished = |p: &PlaybackRecord, id: &str, at_ms: i64| {
        if played.len() == MAX_REPORTED_PLAYS {
            played.pop_front();
        }
        played.push_back(Played {
            track_id: id.to_owned(),
            at_ms,
            context_uri: p.context_uri.clone(),
        });
    };
    if p.is_playing && !p.track_ids.is_empty() {
        let mut progress = p.progress_ms.saturating_add((now_ms - p.updated_ms).max(0));
        let len = p.track_ids.len() as i64;
        let mut steps = 0;
        loop {
            let Some(id) = current_track(p) else {
                p.position = 0;
                break;
            };
            let dur = duration(d, id);
            if progress < dur {
                break;
            }
            steps += 1;
            if steps > 100_000 {
                progress = 0;
                break;
            }
            let id = id.to_owned();
            if p.repeat_state == "track" {
                // Each full loop is a play; only the latest ones are reported.
                let loops = progress / dur;
                let first = (loops - MAX_REPORTED_PLAYS as i64).max(0) + 1;
                for k in first..=loops {
                    finished(p, &id, now_ms - (progress - k * dur));
                }
                progress %= dur;
                continue;
            }
            finished(p, &id, now_ms - (progress - dur));
            progress -= dur;
            if p.position + 1 < len {
                p.position += 1;
                p.queued = (p.queued - 1).max(0);
            } else if p.repeat_state == "context" {
                p.position = 0;
                p.queued = 0;
            } else {
                p.position = 0;
                p.queued = 0;
                p.is_playing = false;
                progress = 0;
                break;
            }
        }
        p.progress_ms = progress;
    }
    p.updated_ms = now_ms;
    played.into()
}

/// What a command did to the track that was playing: if it left the play
/// position (skipped, replaced by a new order) after `COUNTS_AS_PLAYED_MS`,
/// that counts as a play at `now_ms`. `before` is the row as settled just
/// before the command.
pub fn left_after_playing(
    before: &PlaybackRecord,
    after: &PlaybackRecord,
    now_ms: i64,
) -> Option<Played> {
    let id = current_track(before)?;
    let moved = after.position != before.position || after.track_ids != before.track_ids;
    (moved && before.progress_ms >= COUNTS_AS_PLAYED_MS).then(|| Played {
        track_id: id.to_owned(),
        at_ms: now_ms,
        context_uri: before.context_uri.clone(),
    })
}

/// Loads a new play order and starts it.
pub fn start(
    p: &mut PlaybackRecord,
    context_uri: Option<String>,
    mut track_ids: Vec<String>,
    index: usize,
    position_ms: i64,
) {
    // A long context keeps the MAX_QUEUE tracks from the chosen one on, so
    // an offset past the limit still plays the track that was asked for.
    let index = index.min(track_ids.len().saturating_sub(1));
    let (skip, position) = if index >= MAX_QUEUE {
        (index, 0)
    } else {
        (0, index)
    };
    track_ids.drain(..skip);
    track_ids.truncate(MAX_QUEUE);
    p.position = position as i64;
    p.context_uri = context_uri;
    p.track_ids = track_ids;
    p.queued = 0;
    p.progress_ms = clamp_position(position_ms);
    p.is_playing = true;
}

/// Positions beyond a day are nonsense from the client; keep arithmetic safe.
fn clamp_position(ms: i64) -> i64 {
    ms.clamp(0, 24 * 3600 * 1000)
}

pub fn resume(p: &mut PlaybackRecord, position_ms: Option<i64>) {
    if let Some(ms) = position_ms {
        p.progress_ms = clamp_position(ms);
    }
    p.is_playing = true;
}

pub fn pause(p: &mut PlaybackRecord) -> Result<(), PlayerReason> {
    if !p.is_playing {
        return Err(PlayerReason::AlreadyPaused);
    }
    p.is_playing = false;
    Ok(())
}

pub fn next(p: &mut PlaybackRecord) -> Result<(), PlayerReason> {
    let len = p.track_ids.len() as i64;
    if len == 0 {
        return Err(PlayerReason::NoNextTrack);
    }
    if p.position + 1 < len {
        p.position += 1;
        p.queued = (p.queued - 1).max(0);
    } else if p.repeat_state == "off" {
        return Err(PlayerReason::NoNextTrack);
    } else {
        p.position = 0;
        p.queued = 0;
    }
    p.progress_ms = 0;
    p.is_playing = true;
    Ok(())
}

pub fn previous(p: &mut PlaybackRecord) -> Result<(), PlayerReason> {
    if p.track_ids.is_empty() {
        return Err(PlayerReason::NoPrevTrack);
    }
    if p.progress_ms < RESTART_THRESHOLD_MS && p.position > 0 {
        p.position -= 1;
    }
    p.progress_ms = 0;
    p.is_playing = true;
    Ok(())
}

pub fn seek(p: &mut PlaybackRecord, position_ms: i64, d: &Durations) {
    let dur = current_track(p).map(|id| duration(d, id)).unwrap_or(0);
    p.progress_ms = position_ms.clamp(0, dur);
}

/// Queued tracks play after the current one, in the order they were queued.
pub fn enqueue(p: &mut PlaybackRecord, track_id: String) {
    if p.track_ids.is_empty() {
        start(p, None, vec![track_id], 0, 0);
        return;
    }
    // A full list makes room by dropping its last track, never the new one.
    if p.track_ids.len() >= MAX_QUEUE {
        p.track_ids.pop();
    }
    let at = ((p.position + 1 + p.queued) as usize).min(p.track_ids.len());
    p.track_ids.insert(at, track_id);
    p.queued += 1;
}

/// The current progress clamped to the track's length (for display).
pub fn progress_for_display(p: &PlaybackRecord, d: &Durations) -> Option<i64> {
    current_track(p).map(|id| p.progress_ms.min(duration(d, id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_positions_and_long_contexts_stay_in_range() {
        let mut p = row(&[]);
        let ids: Vec<String> = (0..1500).map(|i| format!("t{i}")).collect();
        start(&mut p, None, ids, 1200, i64::MAX);
        assert_eq!(current_track(&p), Some("t1200"));
        assert_eq!(p.progress_ms, 24 * 3600 * 1000);
        resume(&mut p, Some(i64::MAX));
        assert!(p.progress_ms > 0);
        for i in 0..5 {
            enqueue(&mut p, format!("q{i}"));
        }
        assert!(p.track_ids.len() <= MAX_QUEUE);
        assert_eq!(p.track_ids[(p.position + 1) as usize], "q0");
    }

    fn row(ids: &[&str]) -> PlaybackRecord {
        PlaybackRecord {
            device_id: Some("dev".into()),
            context_uri: None,
            track_ids: ids.iter().map(|s| s.to_string()).collect(),
            position: 0,
            queued: 0,
            progress_ms: 0,
            is_playing: true,
            shuffle: false,
            repeat_state: "off".into(),
            updated_ms: 0,
            version: 0,
        }
    }

    fn durations() -> Durations {
        [("a", 10_000), ("b", 20_000), ("c", 30_000)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    #[test]
    fn progress_advances_and_rolls_into_the_next_track() {
        let mut p = row(&["a", "b", "c"]);
        settle(&mut p, 4_000, &durations());
        assert_eq!((p.position, p.progress_ms), (0, 4_000));
        settle(&mut p, 15_000, &durations());
        assert_eq!((p.position, p.progress_ms), (1, 5_000));
    }

    #[test]
    fn the_end_of_the_order_pauses_on_the_first_track_unless_repeating() {
        let mut p = row(&["a", "b"]);
        settle(&mut p, 31_000, &durations());
        assert!(!p.is_playing);
        assert_eq!((p.position, p.progress_ms), (0, 0));

        let mut p = row(&["a", "b"]);
        p.repeat_state = "context".into();
        settle(&mut p, 31_000, &durations());
        assert!(p.is_playing);
        assert_eq!((p.position, p.progress_ms), (0, 1_000));

        let mut p = row(&["a", "b"]);
        p.repeat_state = "track".into();
        settle(&mut p, 25_000, &durations());
        assert_eq!((p.position, p.progress_ms), (0, 5_000));
    }

    #[test]
    fn finished_tracks_are_reported_with_the_time_they_ended() {
        let mut p = row(&["a", "b", "c"]);
        p.context_uri = Some("spotify:album:x".into());
        let played = settle(&mut p, 35_000, &durations());
        let ids: Vec<(&str, i64)> = played
            .iter()
            .map(|x| (x.track_id.as_str(), x.at_ms))
            .collect();
        assert_eq!(ids, [("a", 10_000), ("b", 30_000)]);
        assert_eq!(played[0].context_uri.as_deref(), Some("spotify:album:x"));
        assert!(settle(&mut p, 36_000, &durations()).is_empty());

        let mut p = row(&["a"]);
        p.repeat_state = "track".into();
        let played = settle(&mut p, 10_000 * 1000 + 5, &durations());
        assert_eq!(played.len(), MAX_REPORTED_PLAYS);
        assert_eq!(played.last().unwrap().at_ms, 10_000 * 1000);
    }

    #[test]
    fn leaving_a_track_after_thirty_seconds_counts_as_a_play() {
        let mut before = row(&["a", "b", "c"]);
        before.progress_ms = COUNTS_AS_PLAYED_MS;
        let mut after = before.clone();
        next(&mut after).unwrap();
        let played = left_after_playing(&before, &after, 99).expect("a play");
        assert_eq!((played.track_id.as_str(), played.at_ms), ("a", 99));
        before.progress_ms = COUNTS_AS_PLAYED_MS - 1;
        assert!(left_after_playing(&before, &after, 99).is_none());
        // Pausing leaves the track where it is.
        before.progress_ms = 40_000;
        let mut paused = before.clone();
        pause(&mut paused).unwrap();
        assert!(left_after_playing(&before, &paused, 99).is_none());
    }

    #[test]
    fn paused_playback_does_not_advance() {
        let mut p = row(&["a"]);
        p.is_playing = false;
        p.progress_ms = 3_000;
        settle(&mut p, 9_000, &durations());
        assert_eq!(p.progress_ms, 3_000);
        assert_eq!(pause(&mut p), Err(PlayerReason::AlreadyPaused));
    }

    #[test]
    fn next_previous_and_the_queue() {
        let mut p = row(&["a", "b", "c"]);
        enqueue(&mut p, "q1".into());
        enqueue(&mut p, "q2".into());
        assert_eq!(p.track_ids, ["a", "q1", "q2", "b", "c"]);
        next(&mut p).unwrap();
        assert_eq!(current_track(&p), Some("q1"));
        p.progress_ms = 10_000;
        previous(&mut p).unwrap();
        assert_eq!((current_track(&p), p.progress_ms), (Some("q1"), 0));
        previous(&mut p).unwrap();
        assert_eq!(current_track(&p), Some("a"));
        p.position = 4;
        assert_eq!(next(&mut p), Err(PlayerReason::NoNextTrack));
        p.repeat_state = "context".into();
        next(&mut p).unwrap();
        assert_eq!(current_track(&p), Some("a"));
    }
}
