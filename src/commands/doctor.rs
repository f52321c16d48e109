//! `mocklink doctor`: the provider checks from the command line, printed as
//! a checklist while they run, then as JSON and HTML if asked. Without the
//! form's URLs it checks a mocklink started in-process, so it always has
//! something to run against.

use crate::alexa::doctor::{html, provider, Authorize, ProviderInput};
use crate::alexa::oauth::LinkingConfig;
use crate::cli::{DoctorProviderArgs, DoctorScheme};
use crate::config::{AccessTokenScheme, ClientSeed, Settings};
use crate::testing::TestServer;
use anyhow::{bail, Context};
use std::io::{BufRead, Write};

/// The demo client as the doctor's local mocklink serves it: Alexa's three
/// redirect URLs, and a rotated refresh token accepted again for a minute
/// (a retried refresh works, as a provider Alexa links with reliably must).
pub fn retry_tolerant_demo_client(s: &Settings) -> ClientSeed {
    ClientSeed {
        id: s.demo_client_id.clone(),
        name: Some("Mock Music (Alexa skill)".into()),
        secret: Some(s.demo_client_secret.clone()),
        redirect_uris: s.alexa_redirect_uris(),
        scopes: None,
        refresh_policy: crate::store::RefreshPolicy::Rotate,
        refresh_grace_seconds: 60,
        access_token_ttl_seconds: crate::config::default_access_ttl(),
        refresh_token_ttl_seconds: crate::config::default_refresh_ttl(),
        extended_quota: false,
    }
}

/// Runs the check; an error (exit 1) when a rule fails.
pub async fn run(a: DoctorProviderArgs) -> anyhow::Result<()> {
    // The local provider ignores the loaded settings on purpose, as the demo
    // does: a fresh server with the defaults, so its verdict means the same everywhere.
    let local = match a.token_url {
        Some(_) => None,
        None => Some(
            TestServer::start_with(|s| {
                let seed = retry_tolerant_demo_client(s);
                s.clients.push(seed);
            })
            .await
            .context("could not start the local mocklink")?,
        ),
    };
    let result = check(&a, local.as_ref()).await;
    if let Some(server) = &local {
        server.stop().await;
    }
    let report = result?;
    if report.failed() {
        let failing: Vec<&str> = report
            .findings()
            .filter(|f| f.verdict == crate::linkcheck::Verdict::Fail)
            .map(|f| f.rule.id())
            .collect();
        bail!(
            "Alexa could not link with this provider: failing rules {}",
            failing.join(", ")
        );
    }
    Ok(())
}

async fn check(
    a: &DoctorProviderArgs,
    local: Option<&TestServer>,
) -> anyhow::Result<crate::linkcheck::Report> {
    let (input, login) = input_from(a, local)?;
    let authorize = match login {
        Some((username, password)) => Authorize::Login { username, password },
        None => Authorize::Prompt(Box::new(ask_for_landing)),
    };
    // With --json, stdout carries the JSON only.
    let mut out: Box<dyn Write> = if a.json {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    let _ = writeln!(
        out,
        "Checking {} with Alexa's client (region {}, redirect_uri {})\n",
        input.linking.token_url,
        input.region,
        input.redirect_uri()
    );
    let report = provider::run(&input, authorize, &mut |step| {
        for line in step.lines() {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    })
    .await;
    let _ = writeln!(
        out,
        "\n{}",
        match report.verdict {
            crate::linkcheck::Verdict::Pass => "Every rule passed.",
            crate::linkcheck::Verdict::Warn => "No rule failed (see the warnings).",
            crate::linkcheck::Verdict::Fail =>
                "A rule failed: Alexa would say it is unable to link.",
        }
    );
    if let Some(path) = &a.html {
        let page = html::render(&report, None).context("could not render the HTML report")?;
        std::fs::write(path, page)
            .with_context(|| format!("could not write {}", path.display()))?;
        let _ = writeln!(out, "HTML report: {}", path.display());
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(report)
}

/// The form's fields from the flags, with the local mocklink's as defaults.
fn input_from(
    a: &DoctorProviderArgs,
    local: Option<&TestServer>,
) -> anyhow::Result<(ProviderInput, Option<(String, String)>)> {
    let defaults = local.map(|l| LinkingConfig::from_settings(&l.state().settings));
    let pick = |given: &Option<String>, default: Option<String>, flag: &str| {
        given
            .clone()
            .or(default)
            .with_context(|| format!("give {flag} (the console's Account Linking form)"))
    };
    let d = defaults.as_ref();
    let scopes: Vec<String> = if a.scopes.is_empty() {
        d.map(|d| d.scopes.clone()).unwrap_or_default()
    } else {
        a.scopes
            .iter()
            .flat_map(|s| s.split_whitespace())
            .map(str::to_owned)
            .collect()
    };
    let vendor_id = a
        .vendor_id
        .clone()
        .or_else(|| d.map(|d| d.vendor_id.clone()))
        .unwrap_or_default();
    if vendor_id.is_empty() && a.redirect_uri.is_none() {
        bail!("give --vendor-id (Alexa's redirect URLs end with it) or --redirect-uri");
    }
    let linking = LinkingConfig {
        authorization_url: pick(
            &a.authorization_url,
            d.map(|d| d.authorization_url.clone()),
            "--authorization-url",
        )?,
        token_url: pick(&a.token_url, d.map(|d| d.token_url.clone()), "--token-url")?,
        client_id: pick(&a.client_id, d.map(|d| d.client_id.clone()), "--client-id")?,
        client_secret: a
            .client_secret
            .clone()
            .or_else(|| d.map(|d| d.client_secret.clone()))
            .unwrap_or_default(),
        scheme: match a.scheme {
            DoctorScheme::HttpBasic => AccessTokenScheme::HttpBasic,
            DoctorScheme::RequestBody => AccessTokenScheme::RequestBodyCredentials,
        },
        scopes,
        domains: a.domains.clone(),
        default_expiration_seconds: a.default_expiration.unwrap_or(0),
        pkce: a.pkce,
        vendor_id,
    };
    let login = match (&a.login, local) {
        (Some(l), _) => Some(split_login(l)?),
        (None, Some(l)) => Some((
            l.state().settings.demo_username.clone(),
            l.state().settings.demo_password.clone(),
        )),
        (None, None) => None,
    };
    Ok((
        ProviderInput {
            linking,
            region: a.region,
            redirect_uri: a.redirect_uri.clone(),
            api_url: a.api_url.clone(),
            strict: a.strict,
        },
        login,
    ))
}

fn split_login(text: &str) -> anyhow::Result<(String, String)> {
    match text.split_once(':') {
        Some((u, p)) if !u.is_empty() => Ok((u.to_owned(), p.to_owned())),
        _ => bail!("--login is USER:PASSWORD"),
    }
}

/// The paste flow: a person opens the URL and pastes where they landed.
fn ask_for_landing(url: &str) -> Option<String> {
    eprintln!(
        "\nOpen this URL in a browser, log in and agree:\n\n  {url}\n\n\
         The browser then tries to open Alexa's redirect URL (the page may fail to load: that is fine).\n\
         Paste the whole address it ended on and press Enter:"
    );
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    let line = line.trim();
    (!line.is_empty()).then(|| line.to_owned())
}
