//! What the skill says: one function from a (verified) request envelope to a
//! response envelope. Testable without HTTP; never fails — every api problem
//! becomes speech.

use super::web_api::{CurrentlyPlaying, WebApiClient, WebApiError};
use crate::wire::alexa::envelope::*;

pub const SKILL_NAME: &str = "mock music";

/// Alexa's recommended wording for an unlinked (or no longer linked) user.
pub const LINK_SPEECH: &str =
    "You need to link your account. I've sent a card to your Alexa app to get you started.";

const HELP: &str =
    "You can ask what's playing, say play followed by a song, pause, next, previous, \
                    or set the volume to a number between 0 and 100. What would you like?";
const REPROMPT: &str = "What would you like to do?";

/// Every intent this handler understands (the interaction model must list them).
pub const HANDLED_INTENTS: &[&str] = &[
    "WhatsPlayingIntent",
    "PlaySongIntent",
    "PauseIntent",
    "NextIntent",
    "PreviousIntent",
    "SetVolumeIntent",
    "AMAZON.HelpIntent",
    "AMAZON.StopIntent",
    "AMAZON.CancelIntent",
    "AMAZON.FallbackIntent",
    "AMAZON.NavigateHomeIntent",
];

fn speak(text: impl Into<String>, end: bool) -> ResponseEnvelope {
    let mut r = Response {
        output_speech: Some(OutputSpeech::plain(text)),
        should_end_session: Some(end),
        ..Response::default()
    };
    if !end {
        r.reprompt = Some(Reprompt {
            output_speech: Some(OutputSpeech::plain(REPROMPT)),
            directives: None,
        });
    }
    ResponseEnvelope::new(r)
}

/// The answer for a request without a usable token.
pub fn link_account() -> ResponseEnvelope {
    ResponseEnvelope::new(Response {
        output_speech: Some(OutputSpeech::plain(LINK_SPEECH)),
        card: Some(Card::LinkAccount),
        should_end_session: Some(true),
        ..Response::default()
    })
}

/// Turns an api failure into a specific spoken apology (logged, never a crash).
fn apology(action: &str, e: WebApiError) -> ResponseEnvelope {
    if let WebApiError::Unauthorized = e {
        tracing::info!(
            event = "skill_token_rejected",
            "the api rejected the token; asking to relink"
        );
        return link_account();
    }
    tracing::warn!(event = "skill_api_failed", action, error = %e, "api call failed");
    let text = match &e {
        WebApiError::Forbidden { reason } if reason == "PREMIUM_REQUIRED" => {
            "Sorry, controlling playback needs a premium account.".to_owned()
        }
        WebApiError::Forbidden { .. } => {
            format!("Sorry, your account isn't allowed to {action}. You may need to link your account again with more permissions.")
        }
        WebApiError::NotFound { reason } if reason == "NO_ACTIVE_DEVICE" => {
            "I couldn't find an active device. Start playing music on one of your devices, then try again.".to_owned()
        }
        WebApiError::NotFound { .. } => format!("Sorry, I couldn't find what I needed to {action}."),
        WebApiError::RateLimited => "The music service is busy right now. Please try again in a minute.".to_owned(),
        WebApiError::Unreachable(_) => format!("Sorry, I can't reach the music service right now, so I couldn't {action}. Please try again later."),
        WebApiError::Status(_) | WebApiError::BadResponse(_) => format!("Sorry, the music service had a problem, so I couldn't {action}. Please try again later."),
        WebApiError::Unauthorized => unreachable!("handled above"),
    };
    speak(text, true)
}

/// What the skill says when its budget runs out before the api answered.
pub const TOO_SLOW_SPEECH: &str =
    "Sorry, the music service is taking too long to answer. Please try again in a moment.";

/// Answers one request within `budget` for all its api calls together:
/// Alexa gives up after about 8 s, and "play {song}" may chain four calls.
/// When the budget runs out, the calls still in flight are dropped and the
/// skill apologises in time.
pub async fn handle_within(
    api: &WebApiClient,
    env: &RequestEnvelope,
    budget: std::time::Duration,
) -> ResponseEnvelope {
    match tokio::time::timeout(budget, handle(api, env)).await {
        Ok(out) => out,
        Err(_) => {
            tracing::warn!(
                event = "skill_budget_exhausted",
                budget_ms = budget.as_millis() as u64,
                "the api did not answer within the request budget"
            );
            speak(TOO_SLOW_SPEECH, true)
        }
    }
}

/// Answers one request.
pub async fn handle(api: &WebApiClient, env: &RequestEnvelope) -> ResponseEnvelope {
    let mut out = match &env.request {
        Request::Known(KnownRequest::SessionEndedRequest(r)) => {
            // Alexa ignores any speech here; just acknowledge.
            tracing::info!(event = "skill_session_ended", reason = ?r.reason, error = ?r.error.as_ref().map(|e| &e.kind), "session ended");
            return ResponseEnvelope::new(Response::default());
        }
        Request::Other(o) if o.kind.starts_with("AlexaSkillEvent.") => {
            // Skill events (enabled, account linked, disabled, …) arrive out
            // of session; nothing is spoken, an empty response acknowledges.
            tracing::info!(event = "skill_event", kind = %o.kind, user = %env.context.system.user.user_id, "skill event received");
            return ResponseEnvelope::new(Response::default());
        }
        Request::Other(o) => {
            tracing::info!(event = "skill_unknown_request", kind = %o.kind, "request type not handled");
            return ResponseEnvelope::new(Response::default());
        }
        Request::Known(KnownRequest::LaunchRequest(_)) => match env.access_token() {
            None => link_account(),
            Some(token) => launch(api, token).await,
        },
        Request::Known(KnownRequest::IntentRequest(r)) => intent(api, env, &r.intent).await,
    };
    // Keep the session's attributes for the next turn unless the session ends.
    if out.response.should_end_session != Some(true) {
        out.session_attributes = env.session.as_ref().and_then(|s| s.attributes.clone());
    }
    out
}

async fn launch(api: &WebApiClient, token: &str) -> ResponseEnvelope {
    match api.me(token).await {
        Ok(me) => speak(
            format!("Welcome to {SKILL_NAME}, {}. {HELP}", me.name()),
            false,
        ),
        Err(e) => apology("look up your account", e),
    }
}

async fn intent(api: &WebApiClient, env: &RequestEnvelope, intent: &Intent) -> ResponseEnvelope {
    // Built-ins that need no account work for everyone.
    match intent.name.as_str() {
        "AMAZON.HelpIntent" => return speak(HELP, false),
        "AMAZON.StopIntent" | "AMAZON.CancelIntent" => return speak("Goodbye.", true),
        "AMAZON.NavigateHomeIntent" => return speak("Okay.", true),
        "AMAZON.FallbackIntent" => {
            return speak(
                format!("Sorry, {SKILL_NAME} can't help with that. {HELP}"),
                false,
            )
        }
        _ => {}
    }
    let Some(token) = env.access_token() else {
        return link_account();
    };
    match intent.name.as_str() {
        "WhatsPlayingIntent" => match api.currently_playing(token).await {
            Ok(Some(CurrentlyPlaying {
                item: Some(t),
                is_playing,
            })) => {
                if is_playing {
                    speak(format!("You're listening to {}.", t.describe()), true)
                } else {
                    speak(format!("{} is paused.", t.describe()), true)
                }
            }
            Ok(_) => speak("Nothing is playing right now.", true),
            Err(e) => apology("find out what's playing", e),
        },
        "PlaySongIntent" => match intent.slot("song") {
            None => match api.play(token, None).await {
                Ok(()) => speak("Resuming playback.", true),
                Err(e) => apology("resume playback", e),
            },
            Some(song) => match api.search_track(token, song).await {
                Ok(None) => speak(format!("Sorry, I couldn't find {song}."), true),
                Ok(Some(track)) => match track.uri.as_deref() {
                    None => speak(format!("Sorry, I can't play {song}."), true),
                    Some(uri) => match api.play(token, Some(uri)).await {
                        Ok(()) => speak(format!("Playing {}.", track.describe()), true),
                        Err(e) => apology("play that song", e),
                    },
                },
                Err(e) => apology("search for that song", e),
            },
        },
        "PauseIntent" => match api.pause(token).await {
            Ok(()) => speak("Paused.", true),
            Err(e) => apology("pause", e),
        },
        "NextIntent" => match api.next(token).await {
            Ok(()) => speak("Skipping to the next track.", true),
            Err(e) => apology("skip to the next track", e),
        },
        "PreviousIntent" => match api.previous(token).await {
            Ok(()) => speak("Going back to the previous track.", true),
            Err(e) => apology("go back a track", e),
        },
        "SetVolumeIntent" => match intent.slot("volume").map(str::parse::<u8>) {
            Some(Ok(v)) if v <= 100 => match api.volume(token, v).await {
                Ok(()) => speak(format!("Volume set to {v}."), true),
                Err(e) => apology("change the volume", e),
            },
            _ => speak(
                "Please tell me a volume between 0 and 100, for example: set the volume to 40.",
                false,
            ),
        },
        other => {
            tracing::info!(event = "skill_unknown_intent", intent = %other, "intent not handled");
            speak(
                format!("Sorry, {SKILL_NAME} doesn't know how to do that yet. {HELP}"),
                false,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::alexa::interaction_model::LanguageModel;

    #[test]
    fn the_bundled_model_lists_exactly_the_handled_intents() {
        let model = LanguageModel::bundled();
        assert_eq!(model.invocation_name, "mock music");
        let mut listed: Vec<&str> = model.intents.iter().map(|i| i.name.as_str()).collect();
        let mut handled = HANDLED_INTENTS.to_vec();
        listed.sort();
        handled.sort();
        assert_eq!(listed, handled);
        for intent in &model.intents {
            if !intent.name.starts_with("AMAZON.") {
                assert!(!intent.samples.is_empty(), "{} has samples", intent.name);
            }
            for sample in &intent.samples {
                for slot in sample.split('{').skip(1) {
                    let name = slot.split('}').next().unwrap();
                    assert!(
                        intent.slots.iter().any(|s| s.name == name),
                        "{}: sample '{sample}' uses an undeclared slot",
                        intent.name
                    );
                }
            }
        }
    }
}
