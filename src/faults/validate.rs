//! The one validation of a scenario, whoever sets it: the admin API, the
//! admin page, the CLI and the config file.

use super::{check_api_path, SpecError, GRANT_TYPES, MAX_DELAY_MS, MAX_SECONDS, TOKEN_ERRORS};
use crate::domain::{ClientId, ScenarioKind as Kind, ScenarioSpec, Username};
use crate::store::{ScenarioRecord, Store};

/// Validates a spec into a record to store at `now`: the one validation of
/// the admin API, the admin page, the CLI and the config file.
pub async fn validate(
    spec: ScenarioSpec,
    store: &Store,
    default_id: String,
    now: i64,
) -> Result<ScenarioRecord, SpecError> {
    let bad = |m: String| Err(SpecError::Invalid(m));
    let kind = spec.kind;
    let name = kind.as_str();
    let id = spec.id.unwrap_or(default_id);
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return bad("id must be 1 to 64 characters of [A-Za-z0-9._-]".into());
    }
    match (spec.count, spec.expires_in) {
        (None, None) => {
            return bad("a scenario needs a count, an expires_in (seconds), or both".into())
        }
        (Some(c), _) if !(1..=1_000_000).contains(&c) => {
            return bad("count must be between 1 and 1000000".into())
        }
        (_, Some(e)) if !(1..=MAX_SECONDS).contains(&e) => {
            return bad(format!(
                "expires_in must be between 1 and {MAX_SECONDS} seconds"
            ))
        }
        _ => {}
    }
    let uses = |field: &str, set: bool, allowed: bool| -> Result<(), SpecError> {
        match (set, allowed) {
            (true, false) => Err(SpecError::Invalid(format!(
                "{field} does not apply to kind {name}"
            ))),
            _ => Ok(()),
        }
    };
    let token_side = matches!(kind, Kind::TokenError | Kind::TokenDelay);
    uses("error", spec.error.is_some(), kind == Kind::TokenError)?;
    uses(
        "status",
        spec.status.is_some(),
        matches!(kind, Kind::TokenError | Kind::ApiError),
    )?;
    uses(
        "delay_ms",
        spec.delay_ms.is_some(),
        matches!(kind, Kind::TokenDelay | Kind::ApiDelay),
    )?;
    uses(
        "seconds",
        spec.seconds.is_some(),
        matches!(kind, Kind::TokenLifetime | Kind::ApiError),
    )?;
    uses(
        "path",
        spec.path.is_some(),
        matches!(kind, Kind::ApiError | Kind::ApiDelay),
    )?;
    uses("grant_type", spec.grant_type.is_some(), token_side)?;
    if let Some(g) = &spec.grant_type {
        if !GRANT_TYPES.contains(&g.as_str()) {
            return bad(format!(
                "grant_type must be one of {}",
                GRANT_TYPES.join(", ")
            ));
        }
    }
    if token_side && spec.user.is_some() {
        return bad(format!(
                "{name} applies per client: a token request is judged before its user is known; leave user out"
            ));
    }
    let mut error = None;
    let mut status = spec.status.map(i64::from);
    match kind {
        Kind::TokenError => {
            let default_status = match spec.error.as_deref() {
                Some(e) => match TOKEN_ERRORS.iter().find(|(code, _)| *code == e) {
                    Some((_, s)) => *s,
                    None => {
                        return bad(format!(
                            "error must be one of {}",
                            TOKEN_ERRORS
                                .iter()
                                .map(|(c, _)| *c)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    }
                },
                None if spec.status.is_none() => {
                    return bad("token_error needs an error, a status, or both".into())
                }
                None => 0,
            };
            let s = spec.status.unwrap_or(default_status);
            if !(400..=599).contains(&s) {
                return bad("status must be between 400 and 599".into());
            }
            error = Some(spec.error.unwrap_or_else(|| {
                if s >= 500 {
                    "server_error"
                } else {
                    "invalid_request"
                }
                .to_owned()
            }));
            status = Some(i64::from(s));
        }
        Kind::TokenDelay => match spec.delay_ms {
            Some(d) if (1..=MAX_DELAY_MS).contains(&d) => {}
            _ => {
                return bad(format!(
                    "token_delay needs delay_ms between 1 and {MAX_DELAY_MS}"
                ))
            }
        },
        Kind::TokenLifetime => match spec.seconds {
            Some(s) if (1..=MAX_SECONDS).contains(&s) => {}
            _ => {
                return bad(format!(
                    "token_lifetime needs seconds between 1 and {MAX_SECONDS}"
                ))
            }
        },
        Kind::ApiDelay => {
            match spec.delay_ms {
                Some(d) if (1..=MAX_DELAY_MS).contains(&d) => {}
                _ => {
                    return bad(format!(
                        "api_delay needs delay_ms between 1 and {MAX_DELAY_MS}"
                    ))
                }
            }
            check_api_path(spec.path.as_deref())?;
        }
        Kind::ApiError => {
            match spec.status {
                Some(s) if (400..=599).contains(&s) => {}
                _ => {
                    return bad(
                        "api_error needs a status between 400 and 599 (e.g. 401, 429, 500, 503)"
                            .into(),
                    )
                }
            }
            if spec.seconds.is_some_and(|s| !(1..=86_400).contains(&s)) {
                return bad("seconds (Retry-After) must be between 1 and 86400".into());
            }
            check_api_path(spec.path.as_deref())?;
        }
        _ => {}
    }
    let client_id = match &spec.client_id {
        Some(c) => {
            let id = ClientId::parse(c).map_err(|e| SpecError::Invalid(e.to_string()))?;
            if store.client(&id).await?.is_none() {
                return Err(SpecError::Unknown(format!("no client '{id}'")));
            }
            Some(id.to_string())
        }
        None => None,
    };
    let user_id = match &spec.user {
        Some(u) => {
            let id = Username::parse(&u.to_ascii_lowercase())
                .map_err(|e| SpecError::Invalid(e.to_string()))?;
            if store.user(&id).await?.is_none() {
                return Err(SpecError::Unknown(format!("no user '{id}'")));
            }
            Some(id.to_string())
        }
        None => None,
    };
    Ok(ScenarioRecord {
        id,
        kind: name.to_owned(),
        client_id,
        user_id,
        error,
        status,
        delay_ms: spec.delay_ms,
        seconds: spec.seconds,
        path: spec.path,
        grant_type: spec.grant_type,
        remaining: spec.count,
        expires_at: spec.expires_in.map(|e| now + e),
        created_at: now,
        seq: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0),
    })
}
