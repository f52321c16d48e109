//! `mocklink user …` and `mocklink client …`: users and clients managed
//! without SQL.

use super::open;
use crate::cli::{ClientAdd, ClientCommand, QuotaMode, UserAdd, UserCommand};
use crate::clock::Clock;
use crate::config::{ClientSeed, Settings, UserSeed};
use crate::domain::{ClientId, Secret, Username};
use crate::oauth::password;
use crate::startup;
use anyhow::bail;

pub(super) async fn user(settings: Settings, cmd: UserCommand) -> anyhow::Result<()> {
    let store = open(&settings).await?;
    let now = Clock::default().now();
    match cmd {
        UserCommand::Add(UserAdd {
            username,
            password,
            display_name,
            email,
            country,
            product,
        }) => {
            let id = Username::parse(&username)?;
            let generated = password.is_none();
            let password = password.unwrap_or_else(|| Secret::generate(12).expose().to_owned());
            let seed = UserSeed {
                username,
                password: password.clone(),
                display_name,
                email,
                country,
                product,
                persona: None,
                locked: false,
                empty_library: false,
            };
            let user = startup::user_from_seed(
                &seed,
                id,
                password::hash_off_thread(password.clone()).await,
            );
            store.insert_user(&user, now).await?;
            println!("created user {}", user.id);
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::List => {
            println!(
                "{:<24} {:<24} {:<8} {:<8} email",
                "user", "display name", "country", "product"
            );
            for u in store.users().await? {
                println!(
                    "{:<24} {:<24} {:<8} {:<8} {}",
                    u.id, u.display_name, u.country, u.product, u.email
                );
            }
        }
        UserCommand::Remove { username } => {
            if !store.delete_user(&Username::parse(&username)?).await? {
                bail!("no user named '{username}'");
            }
            println!("removed user {username} and their sessions, consents and grants");
        }
    }
    store.close().await;
    Ok(())
}

pub(super) async fn client(settings: Settings, cmd: ClientCommand) -> anyhow::Result<()> {
    let store = open(&settings).await?;
    let now = Clock::default().now();
    match cmd {
        ClientCommand::Add(a) => {
            let ClientAdd {
                id,
                name,
                secret,
                public,
                mut redirect_uris,
                alexa_vendor_id,
                scopes,
                refresh_policy,
                refresh_grace_seconds,
                access_token_ttl,
                refresh_token_ttl,
                extended_quota,
            } = a;
            if let Some(vendor) = alexa_vendor_id {
                let s = Settings {
                    alexa_vendor_id: vendor,
                    ..Settings::default()
                };
                redirect_uris.extend(s.alexa_redirect_uris());
            }
            let generated = secret.is_none() && !public;
            let secret = if public {
                None
            } else {
                Some(secret.unwrap_or_else(|| Secret::generate(24).expose().to_owned()))
            };
            let seed = ClientSeed {
                id,
                name,
                secret: secret.clone(),
                redirect_uris,
                scopes,
                refresh_policy,
                refresh_grace_seconds,
                access_token_ttl_seconds: access_token_ttl,
                refresh_token_ttl_seconds: refresh_token_ttl,
                extended_quota,
            };
            let client = startup::client_from_seed(&seed)?;
            store.insert_client(&client, now).await?;
            println!(
                "created {} client {}",
                if public { "public" } else { "confidential" },
                client.id
            );
            if let (true, Some(s)) = (generated, secret) {
                println!("client secret: {s}");
            }
        }
        ClientCommand::List => {
            for c in store.clients().await? {
                println!(
                    "{}  ({})  {}  refresh={}  access_ttl={}s  quota={}",
                    c.id,
                    c.name,
                    if c.is_public() {
                        "public"
                    } else {
                        "confidential"
                    },
                    c.refresh_policy.as_str(),
                    c.access_token_ttl,
                    if c.extended_quota {
                        "extended"
                    } else {
                        "development"
                    }
                );
                for u in &c.redirect_uris {
                    println!("    redirect {u}");
                }
                println!("    scopes   {}", c.scopes);
            }
        }
        ClientCommand::Quota { id, mode } => {
            let extended = mode == QuotaMode::Extended;
            if !store
                .set_client_extended_quota(&ClientId::parse(&id)?, extended)
                .await?
            {
                bail!("no client with id '{id}'");
            }
            println!(
                "client {id}: {} (running servers apply it within a second)",
                if extended {
                    "extended quota"
                } else {
                    "development mode"
                }
            );
        }
        ClientCommand::Remove { id } => {
            if !store.delete_client(&ClientId::parse(&id)?).await? {
                bail!("no client with id '{id}'");
            }
            println!("removed client {id} and every grant made to it");
        }
    }
    store.close().await;
    Ok(())
}
