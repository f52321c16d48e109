//! The seed data: the demo user and client (when enabled) and the config
//! file's users and clients, written at every start (users only when new).

use super::{Services, StartupError};
use crate::config::{ClientSeed, UserSeed};
use crate::domain::{ClientId, RedirectUri, Scopes, Username};
use crate::oauth::password;
use crate::store::{digest, Client, NewUser, RefreshPolicy, StoreError};

/// What `seed` did.
pub(super) struct Seeded {
    /// Users created now (existing ones are left as they are).
    pub(super) new_users: usize,
    /// Clients created or updated.
    pub(super) clients: usize,
}

/// Creates the demo user and client (if enabled) and the config file's seeds.
pub(super) async fn seed(state: &Services) -> Result<Seeded, StartupError> {
    let s = &state.settings;
    let users = s.seeded_users();
    let mut clients = s.clients.clone();
    if s.demo_seed {
        let mut redirect_uris = s.alexa_redirect_uris();
        let simulator = s.simulator_redirect_uri();
        match RedirectUri::parse(&simulator) {
            Ok(_) => redirect_uris.push(simulator),
            // e.g. http://localhost:8080: browsers reach it, but the redirect rule
            // (https, or http on a loopback IP literal) forbids registering it.
            Err(e) => tracing::warn!(
                "the simulator's redirect {simulator} cannot be registered for the demo client ({e}); \
                 use a public URL on 127.0.0.1 or https"
            ),
        }
        clients.insert(
            0,
            ClientSeed {
                id: s.demo_client_id.clone(),
                name: Some("Mock Music (Alexa skill)".into()),
                secret: Some(s.demo_client_secret.clone()),
                redirect_uris,
                scopes: None,
                refresh_policy: RefreshPolicy::Rotate,
                refresh_grace_seconds: 0,
                access_token_ttl_seconds: crate::config::default_access_ttl(),
                refresh_token_ttl_seconds: crate::config::default_refresh_ttl(),
                extended_quota: false,
            },
        );
    }
    let now = state.clock.now();
    let mut new_users = 0;
    for u in &users {
        let id = Username::parse(&u.username)?;
        // Users are created once; changing them is the CLI's job, which also
        // keeps start-up free of password hashing on an existing database.
        if state.store.user(&id).await?.is_none() {
            let user = user_from_seed(
                u,
                id.clone(),
                password::hash_off_thread(u.password.clone()).await,
            );
            match state.store.insert_user(&user, now).await {
                Ok(()) => new_users += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        // Persona label and lock follow the config file on every start.
        state
            .store
            .set_persona(&id, u.persona.as_deref(), u.locked.then_some(now))
            .await?;
        if u.empty_library {
            crate::api::library::seed_empty(&state.api, &id).await?;
        }
    }
    for c in &clients {
        state
            .store
            .upsert_client(&client_from_seed(c)?, now)
            .await?;
    }
    crate::api::seed(&state.api).await?;
    Ok(Seeded {
        new_users,
        clients: clients.len(),
    })
}

pub fn user_from_seed(u: &UserSeed, id: Username, password_hash: String) -> NewUser {
    NewUser {
        display_name: u.display_name.clone().unwrap_or_else(|| id.to_string()),
        email: u
            .email
            .clone()
            .unwrap_or_else(|| format!("{id}@example.com")),
        country: u.country.clone(),
        product: u.product.clone(),
        persona: u.persona.clone(),
        locked_at: None,
        password_hash,
        id,
    }
}

/// Validates a declared client into the stored form.
pub fn client_from_seed(c: &ClientSeed) -> Result<Client, StartupError> {
    let id = ClientId::parse(&c.id)?;
    if c.access_token_ttl_seconds < 360 {
        return Err(StartupError::Seed(format!(
            "client {id}: access_token_ttl_seconds must be at least 360 (Alexa's minimum)"
        )));
    }
    Ok(Client {
        name: c.name.clone().unwrap_or_else(|| c.id.clone()),
        secret_hash: c.secret.as_deref().map(digest),
        redirect_uris: c
            .redirect_uris
            .iter()
            .map(|u| RedirectUri::parse(u))
            .collect::<Result<_, _>>()?,
        scopes: match &c.scopes {
            Some(s) => Scopes::parse(s)?,
            None => Scopes::all(),
        },
        refresh_policy: c.refresh_policy,
        refresh_grace_seconds: c.refresh_grace_seconds.max(0),
        access_token_ttl: c.access_token_ttl_seconds,
        refresh_token_ttl: c.refresh_token_ttl_seconds,
        extended_quota: c.extended_quota,
        id,
    })
}
