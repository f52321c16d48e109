//! `mocklink doctor skill`: runs the skill-side doctor against an endpoint,
//! prints each step as it finishes (or only the JSON report with `--json`),
//! writes the HTML report with `--html FILE`, and fails when any rule fails.

use crate::alexa::doctor::skill::{self, SkillCheck};
use crate::alexa::RequestSigner;
use crate::cli::DoctorSkillArgs;
use crate::config::Settings;
use crate::wire::alexa::interaction_model::{InteractionModel, InteractionModelFile};
use anyhow::{bail, Context};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

pub async fn run(settings: Settings, args: DoctorSkillArgs) -> anyhow::Result<()> {
    let model = match &args.model {
        None => InteractionModel::bundled(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the interaction model {}", path.display()))?;
            serde_json::from_str::<InteractionModelFile>(&text)
                .with_context(|| format!("{} is not an interaction model", path.display()))?
                .interaction_model
        }
    };
    let signer = match (
        &settings.simulator.signing_key_file,
        &settings.simulator.signature_cert_chain_url,
    ) {
        (Some(key), Some(url)) => Some(Arc::new(
            RequestSigner::load(key, url.clone()).map_err(anyhow::Error::msg)?,
        )),
        (None, None) => None,
        _ => bail!("alexa_signing_key_file and alexa_signature_cert_chain_url go together"),
    };
    let check = SkillCheck {
        endpoint: args.endpoint.clone(),
        check_application_id: args.skill_id.is_some(),
        skill_id: args
            .skill_id
            .clone()
            .unwrap_or_else(|| settings.simulator.skill_id.clone()),
        revoked_token: args.revoked_token.clone(),
        model_intents: model
            .language_model
            .intents
            .iter()
            .map(|i| i.name.clone())
            .collect(),
        deadline: Duration::from_millis(args.deadline_ms),
    };
    let json = args.json;
    let mut check = check;
    if check.revoked_token.is_none() {
        match local_revoked_token(&settings, &check.endpoint).await {
            Ok(Some(token)) => check.revoked_token = Some(token),
            Ok(None) => {}
            // Only a note: the other checks do not need it.
            Err(e) => eprintln!("note: no revoked-token check: {e}"),
        }
    }
    if !json {
        println!(
            "Checking the skill at {} as Amazon's certification would",
            check.endpoint
        );
    }
    let now = || time::OffsetDateTime::now_utc().unix_timestamp();
    let mut print = |step: &crate::linkcheck::Step| {
        if !json {
            let mut out = std::io::stdout().lock();
            for line in step.lines() {
                let _ = writeln!(out, "{line}");
            }
            let _ = out.flush();
        }
    };
    let report = skill::run(&check, signer, &now, &mut print)
        .await
        .map_err(anyhow::Error::msg)?;
    if let Some(path) = &args.html {
        let page = crate::alexa::doctor::html::render(&report, None)
            .context("could not render the HTML report")?;
        std::fs::write(path, page)
            .with_context(|| format!("could not write {}", path.display()))?;
        if !json {
            println!("HTML report: {}", path.display());
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let mut failed: Vec<&str> = Vec::new();
        for f in report.findings() {
            if f.verdict == crate::linkcheck::Verdict::Fail && !failed.contains(&f.rule.id()) {
                failed.push(f.rule.id());
            }
        }
        if failed.is_empty() {
            println!("No rule fails: Amazon's checks would pass (warnings above, if any, are worth a look).");
        } else {
            println!("Failing rules: {}", failed.join(", "));
        }
    }
    if report.failed() {
        bail!("the skill would fail Amazon's checks (see the failed steps above)");
    }
    Ok(())
}

/// For the bundled skill of a local mocklink (its `skill_path` on a loopback
/// address), a token minted through the admin API and revoked at
/// `/api/revoke` with the demo client, so the doctor can send a revoked
/// token as Alexa would after the provider revoked it. `None` elsewhere.
async fn local_revoked_token(
    settings: &Settings,
    endpoint: &str,
) -> Result<Option<String>, String> {
    let Ok(url) = url::Url::parse(endpoint) else {
        return Ok(None);
    };
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if !loopback || url.path() != settings.skill.path {
        return Ok(None);
    }
    let base = url.origin().ascii_serialization();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?;
    let mut mint = http
        .post(format!("{base}/admin/api/tokens"))
        .json(&serde_json::json!({
            "user": settings.demo_username, "client_id": settings.demo_client_id,
        }));
    if let Some(p) = &settings.toolbox.admin_password {
        mint = mint.bearer_auth(p.expose());
    }
    let res = mint
        .send()
        .await
        .map_err(|e| format!("minting a token: {}", e.without_url()))?;
    let status = res.status();
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    let Some(token) = body["access_token"]
        .as_str()
        .filter(|_| status.is_success())
    else {
        return Err(format!(
            "minting a token at {base}/admin/api/tokens answered {status}: {body}"
        ));
    };
    let res = http
        .post(format!("{base}/api/revoke"))
        .basic_auth(&settings.demo_client_id, Some(&settings.demo_client_secret))
        .form(&[("token", token)])
        .send()
        .await
        .map_err(|e| format!("revoking the token: {}", e.without_url()))?;
    if !res.status().is_success() {
        return Err(format!(
            "revoking the token at {base}/api/revoke answered {}",
            res.status()
        ));
    }
    Ok(Some(token.to_owned()))
}
