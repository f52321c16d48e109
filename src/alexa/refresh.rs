//! Alexa's side of an expiring link: the token to send with the next request,
//! refreshed lazily on use, with backoff after failures and the relink
//! notification after a refusal.

use super::deliver;
use super::link::{describe, link_now, store_token};
use super::oauth::{self, FlowCtx, Measured};
use super::rules;
use super::AlexaError;
use crate::alexa::SimulatorState;
use crate::config::StaleToken;
use crate::linkcheck::{check_token_answer, Grant};
use crate::store::{AlexaLink, FlowFinding};
use oauth2::{RefreshToken, RequestTokenError, TokenResponse};
use std::sync::Mutex;

/// The longest wait between two refresh attempts.
const MAX_BACKOFF_SECONDS: i64 = 3600;

/// The token to send with the next request, refreshing it first when it is
/// (nearly) expired, like Alexa: lazily, on use. A definite refusal unlinks
/// and asks the user to relink; any other failure keeps the link and backs
/// off before the next try (an assumption: Amazon does not say).
pub async fn current_token(
    state: &SimulatorState,
    user_id: &str,
) -> Result<Option<String>, AlexaError> {
    token(state, user_id, false).await
}

/// A refresh made on request, and how Alexa's rules judged its answer.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Refreshed {
    pub user_id: String,
    pub flow_id: String,
    /// A new access token was stored.
    pub refreshed: bool,
    /// Still linked afterwards (a definite refusal unlinks).
    pub linked: bool,
    /// The findings of this refresh's answer.
    pub findings: Vec<FlowFinding>,
}

/// `POST /alexa/api/users/{id}/refresh`: refreshes the access token now,
/// whatever its expiry, as Alexa would at expiry.
pub async fn refresh_now(state: &SimulatorState, user_id: &str) -> Result<Refreshed, AlexaError> {
    super::user(state, user_id).await?;
    let Some(before) = state.store.alexa_link(user_id, &state.skill.key).await? else {
        return Err(AlexaError::BadRequest(
            "The user is not linked: there is nothing to refresh.".into(),
        ));
    };
    let seen = state.store.flow_findings(&before.flow_id).await?.len();
    token(state, user_id, true).await?;
    let after = state.store.alexa_link(user_id, &state.skill.key).await?;
    let mut findings = state.store.flow_findings(&before.flow_id).await?;
    Ok(Refreshed {
        user_id: user_id.to_owned(),
        refreshed: after
            .as_ref()
            .is_some_and(|a| a.access_token != before.access_token),
        linked: after.is_some(),
        findings: findings.split_off(seen.min(findings.len())),
        flow_id: before.flow_id,
    })
}

/// The token to send; `force` refreshes even a fresh one, and does not wait
/// out a backoff.
async fn token(
    state: &SimulatorState,
    user_id: &str,
    force: bool,
) -> Result<Option<String>, AlexaError> {
    let margin = state.settings.simulator.refresh_margin_seconds;
    let fresh = |l: &AlexaLink, now: i64| !force && l.expires_at - margin > now;
    match state.store.alexa_link(user_id, &state.skill.key).await? {
        None => return Ok(None),
        Some(l) if fresh(&l, link_now(state)) => return Ok(Some(l.access_token)),
        Some(_) => {}
    }
    // One refresh at a time: with rotating refresh tokens a second concurrent
    // refresh would present a spent token and break the link.
    let _guard = state.runtime.refresh_lock.lock().await;
    let now = link_now(state);
    let Some(link) = state.store.alexa_link(user_id, &state.skill.key).await? else {
        return Ok(None);
    };
    if fresh(&link, now) {
        return Ok(Some(link.access_token));
    }
    let policy = state.settings.simulator.stale_token;
    // What goes out when no fresh token can be had: a token still within its
    // lifetime always; an expired one as the stale-token setting says.
    let stale = |l: &AlexaLink| {
        (l.expires_at > now || policy == StaleToken::Send).then(|| l.access_token.clone())
    };
    if !force && link.next_refresh_at.is_some_and(|at| now < at) {
        return Ok(stale(&link));
    }
    let flow = FlowCtx {
        store: &state.store,
        flow_id: &link.flow_id,
        user_id,
        now,
    };
    let Some(refresh) = link.refresh_token.clone() else {
        if link.expires_at > now {
            return Ok(Some(link.access_token));
        }
        if policy == StaleToken::Drop {
            state
                .store
                .delete_alexa_link(user_id, &state.skill.key)
                .await?;
            flow.note(
                "refresh",
                "the access token expired and there is no refresh token; unlinked (alexa_stale_token = drop)",
            )
            .await;
            relink(
                state,
                user_id,
                "the access token expired and there was no refresh token",
            )
            .await;
            return Ok(None);
        }
        if link.refresh_failures == 0 {
            // Said once, not on every request.
            state
                .store
                .note_refresh_failure(user_id, &state.skill.key, 1, i64::MAX)
                .await?;
            flow.note(
                "refresh",
                "the access token expired and there is no refresh token; the expired token is still sent (assumption: alexa_stale_token = send)",
            )
            .await;
        }
        return Ok(Some(link.access_token));
    };
    let cfg = &state.skill.linking;
    // A refresh carries no redirect URL; the client is the linking's.
    let client = cfg
        .client(&state.settings.alexa_redirect_url())
        .map_err(AlexaError::Config)?;
    let http = &state.runtime.http;
    let sink = Mutex::new(None::<Measured>);
    let sender = |r| flow.send_measured(http, "refresh", r, &sink);
    let result = client
        .exchange_refresh_token(&RefreshToken::new(refresh.clone()))
        .request_async(&sender)
        .await;
    if let Some(m) = sink.lock().ok().and_then(|mut m| m.take()) {
        let default = u64::try_from(cfg.default_expiration_seconds).ok();
        let answer = m.answer(Grant::RefreshToken, default);
        rules::record(&flow, "refresh", &check_token_answer(&answer)).await;
    }
    match result {
        Ok(token) => {
            let mut updated =
                store_token(state, user_id, &link.flow_id, &token, Some(&refresh), now);
            updated.linked_at = link.linked_at;
            updated.refreshed_at = Some(now);
            if token.scopes().is_none() {
                updated.scopes = link.scopes.clone();
            }
            state.store.save_alexa_link(&updated).await?;
            flow.note(
                "refresh",
                format!(
                    "refreshed; new access token {} expires in {} s; refresh token {}",
                    oauth::hint(&updated.access_token),
                    updated.expires_at - now,
                    if token.refresh_token().is_some() {
                        "replaced"
                    } else {
                        "kept"
                    }
                ),
            )
            .await;
            tracing::info!(event = "alexa_refreshed", user = %user_id, "access token refreshed");
            Ok(Some(updated.access_token))
        }
        Err(e) => {
            let why = describe(&e);
            // Only a definite "no" from the provider ends the link, as on
            // Alexa; an outage or a 5xx keeps it, and is retried after a backoff.
            let definite = matches!(&e, RequestTokenError::ServerResponse(r)
                if matches!(r.error(), oauth2::basic::BasicErrorResponseType::InvalidGrant
                    | oauth2::basic::BasicErrorResponseType::InvalidClient
                    | oauth2::basic::BasicErrorResponseType::UnauthorizedClient));
            if !definite {
                let failures = link.refresh_failures.saturating_add(1);
                let wait = state
                    .settings
                    .simulator
                    .refresh_backoff_seconds
                    .saturating_mul(1i64 << (failures - 1).clamp(0, 20))
                    .min(MAX_BACKOFF_SECONDS);
                state
                    .store
                    .note_refresh_failure(user_id, &state.skill.key, failures, now + wait)
                    .await?;
                let sent = match stale(&link) {
                    Some(_) if link.expires_at > now => "the token, still valid, is sent",
                    Some(_) => "the expired token is still sent (alexa_stale_token = send)",
                    None => "requests go without a token meanwhile (alexa_stale_token = drop)",
                };
                let text = format!(
                    "refresh failed: {why}; kept the link; failure {failures} in a row, next try in {wait} s (assumption: backoff); {sent}"
                );
                flow.note("refresh", text.clone()).await;
                deliver::note_plain(state, user_id, now, "refresh", text).await;
                tracing::warn!(event = "alexa_refresh_retry", user = %user_id, reason = %why, wait, "refresh failed; will retry");
                return Ok(stale(&link));
            }
            state
                .store
                .delete_alexa_link(user_id, &state.skill.key)
                .await?;
            flow.note("refresh", format!("refresh failed: {why}; unlinked"))
                .await;
            tracing::warn!(event = "alexa_refresh_failed", user = %user_id, reason = %why, "refresh failed; unlinked");
            relink(state, user_id, &format!("the refresh was refused ({why})")).await;
            Ok(None)
        }
    }
}

/// What Alexa does after it dropped a link: a push notification and an
/// Alexa-app card asking the user to link again (alexa.md §2.9).
async fn relink(state: &SimulatorState, user_id: &str, why: &str) {
    deliver::note_plain(
        state,
        user_id,
        state.clock.now(),
        "relink",
        format!(
            "Alexa would now ask the user to relink: {why}; the link was deleted, and the user gets a push notification and an Alexa app card to link the account again"
        ),
    )
    .await;
}
