//! Amazon's own Node.js code reads what the simulator sends and what the
//! project ships: the envelopes (talk, SessionEndedRequest, skill events)
//! type-check as ask-sdk-model's `RequestEnvelope` (TypeScript, strict,
//! object-literal excess-property checks), pass ask-sdk-express-adapter's
//! `SkillRequestSignatureVerifier` and `TimestampVerifier`, and dispatch in
//! an ask-sdk-core `CustomSkill` with the skill id check; `skill.json`
//! type-checks as ask-smapi-model's `SkillManifestEnvelope`.
//!
//! The npm packages are installed once into a cache under the target
//! directory. Without `node`/`npm` (or without the registry) the tests print
//! "skipped" and pass, unless `MOCKLINK_REQUIRE_NODE=1` (set by `.ci/run`,
//! which installs Node) makes that a failure.

use crate::alexa_support::*;
use crate::helpers::*;
use crate::skill_support::{FakeApi, TestSigner};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGES: &[&str] = &[
    "ask-sdk-core@2",
    "ask-sdk-model@1",
    "ask-sdk-express-adapter@2",
    "ask-smapi-model@1",
    "typescript@5",
];

/// Amazon's chain URL shape; the Node verifier's download is pointed at the
/// test chain, every other check is the SDK's own.
const CERT_URL: &str = "https://s3.amazonaws.com/echo.api/echo-api-cert-mocklink-test.pem";

fn required() -> bool {
    std::env::var("MOCKLINK_REQUIRE_NODE").is_ok_and(|v| v == "1")
}

fn skip(why: &str) -> Option<PathBuf> {
    assert!(
        !required(),
        "MOCKLINK_REQUIRE_NODE=1 but the Node check cannot run: {why}"
    );
    eprintln!("skipped: the Node ask-sdk check needs {why}");
    None
}

fn has(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The folder with `node_modules` holding the packages, installed once.
pub fn node_packages(name: &str, packages: &[&str]) -> Option<PathBuf> {
    if !has("node") || !has("npm") {
        return skip("node and npm (Debian: apt-get install nodejs npm)");
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let marker = dir.join(format!(
        "installed-{}",
        packages.join("+").replace('/', "_")
    ));
    if marker.exists() {
        return Some(dir);
    }
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{"name":"mocklink-node-check","private":true}"#,
    )
    .unwrap();
    let out = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--loglevel=error",
        ])
        .args(packages)
        .current_dir(&dir)
        .output()
        .unwrap();
    if !out.status.success() {
        return skip(&format!(
            "the npm registry (npm install failed: {})",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .take(5)
                .collect::<Vec<_>>()
                .join(" / ")
        ));
    }
    std::fs::write(&marker, "").unwrap();
    Some(dir)
}

/// Runs `node script args…` in `dir`; panics with its output on failure.
pub fn node(dir: &Path, script: &str, args: &[&str]) -> String {
    let out = Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "node {script} failed:\n{text}");
    text
}

const CHECK_JS: &str = r#"
const fs = require('fs');
const [casesFile, chainFile, rootFile, skillId] = process.argv.slice(2);
const cases = JSON.parse(fs.readFileSync(casesFile, 'utf8'));
const chain = fs.readFileSync(chainFile, 'utf8');
const root = fs.readFileSync(rootFile, 'utf8');
const adapter = require('ask-sdk-express-adapter');
const helper = require('ask-sdk-express-adapter/dist/verifier/helper');
const core = require('ask-sdk-core');
// The only two changes to Amazon's verifier: the chain is the test CA's
// instead of a download from s3.amazonaws.com, and that CA is trusted.
const generateCAStore = helper.generateCAStore;
helper.generateCAStore = (certs) => generateCAStore([...certs, root]);
(async () => {
  const seen = [];
  for (const c of cases) {
    const verifier = new adapter.SkillRequestSignatureVerifier();
    verifier._getCertChainByUrl = async (url) => {
      if (url !== c.certUrl) throw new Error('unexpected chain url ' + url);
      return chain;
    };
    await verifier.verify(c.body, {
      SignatureCertChainUrl: c.certUrl,
      'Signature-256': c.signature,
    });
    await new adapter.TimestampVerifier().verify(c.body);
    let got;
    const skill = core.SkillBuilders.custom()
      .withSkillId(skillId)
      .addRequestHandlers({
        canHandle: () => true,
        handle: (h) => {
          const env = h.requestEnvelope;
          got = {
            type: core.getRequestType(env),
            userId: core.getUserId(env),
            linkToken: core.getAccountLinkingAccessToken(env) || null,
            apiAccessToken: core.getApiAccessToken(env) || null,
            apiEndpoint: env.context.System.apiEndpoint,
            audioPlayer: env.context.System.device
              ? core.getSupportedInterfaces(env).AudioPlayer !== undefined : null,
            dialogState: env.request.type === 'IntentRequest' ? core.getDialogState(env) : null,
            slots: env.request.type === 'IntentRequest' ? env.request.intent.slots : null,
            reason: env.request.reason || null,
            error: env.request.error ? env.request.error.type : null,
            body: env.request.body || null,
          };
          return h.responseBuilder.getResponse();
        },
      })
      .create();
    await skill.invoke(JSON.parse(c.body));
    seen.push(got);
  }
  console.log(JSON.stringify(seen));
})().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
"#;

/// A model with a custom slot type (entity resolution) and a dialog model.
fn model_file(dir: &Path) -> PathBuf {
    let path = dir.join("model.json");
    std::fs::write(
        &path,
        json!({"interactionModel": {
            "languageModel": {
                "invocationName": "mock music",
                "intents": [
                    {"name": "PlayGenreIntent", "slots": [{"name": "genre", "type": "GENRE"}], "samples": ["play some {genre}"]},
                    {"name": "AMAZON.StopIntent", "samples": []},
                    {"name": "AMAZON.FallbackIntent", "samples": []}
                ],
                "types": [{"name": "GENRE", "values": [
                    {"id": "JAZZ", "name": {"value": "jazz", "synonyms": ["smooth jazz"]}},
                    {"name": {"value": "rock"}}
                ]}]
            },
            "dialog": {"intents": [{"name": "PlayGenreIntent", "slots": [{"name": "genre", "type": "GENRE", "elicitationRequired": false}]}]}
        }})
        .to_string(),
    )
    .unwrap();
    path
}

#[tokio::test]
async fn amazons_node_sdk_accepts_every_envelope_the_simulator_sends() {
    let Some(node_dir) = node_packages("node-ask-sdk", PACKAGES) else {
        return;
    };
    let empty = json!({"version": "1.0", "response": {}});
    let listening = json!({"version": "1.0", "response": {
        "outputSpeech": {"type": "PlainText", "text": "Which genre?"},
        "reprompt": {"outputSpeech": {"type": "PlainText", "text": "Say a genre."}},
        "directives": [{"type": "Dialog.ElicitSlot", "slotToElicit": "genre"}],
        "shouldEndSession": false}});
    // SkillEnabled, SkillAccountLinked, Launch, 2 intents (listening), then
    // SessionEndedRequest and SkillDisabled.
    let skill = FakeApi::start_seq(vec![
        (200, empty.clone()),
        (200, empty.clone()),
        (200, listening.clone()),
        (200, listening.clone()),
        (200, listening),
        (200, empty),
    ])
    .await;
    let signer = TestSigner::rsa("echo-api.amazon.com");
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    std::fs::write(&key, signer.key_pem()).unwrap();
    let model = model_file(dir.path());
    let endpoint = format!("{}/skill", skill.url);
    let app = spawn_app_with(|s| {
        s.simulator.skill_endpoint = Some(endpoint);
        s.simulator.signing_key_file = Some(key);
        s.simulator.signature_cert_chain_url = Some(CERT_URL.into());
        s.simulator.interaction_model_file = Some(model);
    })
    .await;
    let id = new_user(&app).await;
    let (status, u) = api_patch(&app, &id, json!({"region": "EU"})).await;
    assert_eq!(status, 200, "{u}");
    link(&app, &id).await;
    talk(&app, &id, json!({"launch": true})).await;
    talk(&app, &id, json!({"utterance": "play some smooth jazz"})).await;
    talk(&app, &id, json!({"utterance": "play some polka"})).await;
    talk(&app, &id, json!({"utterance": "exit"})).await;
    let (status, _) = api_post(&app, &format!("/alexa/api/users/{id}/disable"), json!({})).await;
    assert_eq!(status, 200);

    let seen = skill.requests();
    assert_eq!(seen.len(), 7, "{seen:#?}");
    let cases: Vec<Value> = seen
        .iter()
        .map(|s| {
            assert_eq!(s.cert_chain_url.as_deref(), Some(CERT_URL));
            json!({"body": s.body, "signature": s.signature, "certUrl": CERT_URL})
        })
        .collect();
    let work = tempfile::tempdir_in(&node_dir).unwrap();
    let file = |name: &str, text: &str| {
        let p = work.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let cases_file = file("cases.json", &Value::Array(cases).to_string());
    let chain = file("chain.pem", &signer.chain_pem);
    let root = file("root.pem", &signer.root_pem);
    let script = file("check.js", CHECK_JS);
    let skill_id = app.state.settings.simulator.skill_id.clone();
    let out = node(&node_dir, &script, &[&cases_file, &chain, &root, &skill_id]);
    let got: Vec<Value> = serde_json::from_str(out.trim()).unwrap_or_else(|_| panic!("{out}"));
    let types: Vec<&str> = got.iter().map(|g| g["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "AlexaSkillEvent.SkillEnabled",
            "AlexaSkillEvent.SkillAccountLinked",
            "LaunchRequest",
            "IntentRequest",
            "IntentRequest",
            "SessionEndedRequest",
            "AlexaSkillEvent.SkillDisabled"
        ]
    );
    for g in &got {
        assert_eq!(g["userId"], json!(id), "{g}");
        assert_eq!(g["apiEndpoint"], "https://api.eu.amazonalexa.com", "{g}");
        assert!(
            g["apiAccessToken"].as_str().unwrap().starts_with("eyJ"),
            "{g}"
        );
        assert_ne!(g["apiAccessToken"], g["linkToken"]);
    }
    let linked = stored_link(&app, &id).await;
    assert!(linked.is_none(), "disabled");
    assert!(got[1]["body"]["accessToken"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert_eq!(got[1]["linkToken"], got[1]["body"]["accessToken"]);
    assert_eq!(got[2]["audioPlayer"], json!(true));
    assert_eq!(
        got[0]["audioPlayer"],
        Value::Null,
        "skill events come from no device"
    );
    assert_eq!(got[3]["dialogState"], "STARTED");
    assert_eq!(got[4]["dialogState"], "IN_PROGRESS");
    let jazz = &got[3]["slots"]["genre"];
    assert_eq!(jazz["value"], "smooth jazz");
    assert_eq!(
        jazz["resolutions"]["resolutionsPerAuthority"][0]["status"]["code"],
        "ER_SUCCESS_MATCH"
    );
    assert_eq!(
        jazz["resolutions"]["resolutionsPerAuthority"][0]["values"][0]["value"],
        json!({"name": "jazz", "id": "JAZZ"})
    );
    assert_eq!(jazz["slotValue"]["type"], "Simple");
    assert_eq!(
        got[4]["slots"]["genre"]["resolutions"]["resolutionsPerAuthority"][0]["status"]["code"],
        "ER_SUCCESS_NO_MATCH"
    );
    assert_eq!(got[5]["reason"], "USER_INITIATED");

    // And the TypeScript types: each body assigned to a RequestEnvelope.
    let mut ts = String::from("import { RequestEnvelope } from 'ask-sdk-model';\n");
    for (n, s) in seen.iter().enumerate() {
        ts.push_str(&format!(
            "export const e{n}: RequestEnvelope = {};\n",
            s.body
        ));
    }
    file("envelopes.ts", &ts);
    typecheck(&node_dir, work.path(), "envelopes.ts");
}

/// `tsc --strict --noEmit` on one file of `work`.
pub fn typecheck(node_dir: &Path, work: &Path, file: &str) {
    let tsc = node_dir.join("node_modules/typescript/bin/tsc");
    let out = Command::new("node")
        .arg(tsc)
        .args([
            "--strict",
            "--noEmit",
            "--skipLibCheck",
            "--moduleResolution",
            "node",
            "--target",
            "es2019",
        ])
        .arg(file)
        .current_dir(work)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tsc {file}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_manifest_type_checks_as_ask_smapi_models_skill_manifest() {
    let Some(node_dir) = node_packages("node-ask-sdk", PACKAGES) else {
        return;
    };
    let manifest = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/skill-package/skill.json"
    ))
    .unwrap();
    let work = tempfile::tempdir_in(&node_dir).unwrap();
    std::fs::write(
        work.path().join("manifest.ts"),
        format!(
            "import {{ v1 }} from 'ask-smapi-model';\nexport const m: v1.skill.Manifest.SkillManifestEnvelope = {manifest};\n"
        ),
    )
    .unwrap();
    typecheck(&node_dir, work.path(), "manifest.ts");
}

async fn api_patch(app: &TestApp, id: &str, body: Value) -> (u16, Value) {
    let path = format!("/alexa/api/users/{id}");
    api_send(app, reqwest::Method::PATCH, &path, body).await
}

const ASK_CLI_JS: &str = r#"
// `ask deploy`'s loading steps, with ask-cli's own modules, on a copy of the
// project: ask-resources.json through ResourcesConfig, the skill package and
// its skill.json through Manifest, with the checks of
// dist/lib/commands/deploy/index.js (_filterAlexaHostedSkill,
// _initiateManifestModel) and of the skill-metadata controller's
// validateDomain restated line for line: those two modules cannot be
// required here (their @alexa/acdl dependency fails to load on this Node,
// as `ask --version` does). Only the upload to SMAPI is left out.
const fs = require('fs');
const path = require('path');
const cli = path.dirname(require.resolve('ask-cli/package.json'));
const lib = (p) => require(path.join(cli, 'dist/lib', p));
const ResourcesConfig = lib('model/resources-config');
const Manifest = lib('model/manifest');
const CONSTANTS = lib('utils/constants');
const stringUtils = lib('utils/string-utils');
const { isAcSkill } = lib('utils/ac-util');
const profile = 'default';
process.chdir(process.argv[2]);
new ResourcesConfig(path.join(process.cwd(), CONSTANTS.FILE_PATH.ASK_RESOURCES_JSON_CONFIG));
const rc = ResourcesConfig.getInstance();
if (rc.getSkillInfraType(profile) === CONSTANTS.DEPLOYER_TYPE.HOSTED.NAME) throw new Error('hosted skill');
const src = rc.getSkillMetaSrc(profile);
if (!stringUtils.isNonBlankString(src)) throw new Error('Skill package src is not found in ask-resources.json.');
if (!fs.existsSync(src)) throw new Error(`The skillMetadata src file ${src} does not exist.`);
if (isAcSkill(profile) === true) throw new Error('an Alexa Conversations skill needs a build');
new Manifest(path.join(src, CONSTANTS.FILE_PATH.SKILL_PACKAGE.MANIFEST));
const m = Manifest.getInstance();
const domains = Object.keys(m.getApis() || {});
if (domains.length !== 1) throw new Error('one api domain expected');
if (CONSTANTS.SKILL.DOMAIN.CAN_ENABLE_DOMAIN_LIST.indexOf(domains[0]) === -1) throw new Error(`domain ${domains[0]} cannot be enabled`);
console.log(JSON.stringify({
  src,
  name: m.getSkillName(),
  apis: domains,
  events: m.getEventsEndpointByRegion('default'),
  subscriptions: m.getProperty(['manifest', 'events', 'subscriptions']),
  states: fs.existsSync(path.join(CONSTANTS.FILE_PATH.HIDDEN_ASK_FOLDER, CONSTANTS.FILE_PATH.ASK_STATES_JSON_CONFIG)),
}));
"#;

#[test]
fn ask_deploys_own_loader_accepts_the_project() {
    let Some(node_dir) = node_packages("node-ask-cli", &["ask-cli@2"]) else {
        return;
    };
    // A copy: the loader writes .ask/ask-states.json next to ask-resources.json.
    let project = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        root.join("ask-resources.json"),
        project.path().join("ask-resources.json"),
    )
    .unwrap();
    copy_dir(
        &root.join("skill-package"),
        &project.path().join("skill-package"),
    );
    let script = node_dir.join("ask-cli-check.js");
    std::fs::write(&script, ASK_CLI_JS).unwrap();
    let out = node(
        &node_dir,
        script.to_str().unwrap(),
        &[project.path().to_str().unwrap()],
    );
    let got: Value =
        serde_json::from_str(out.lines().last().unwrap_or("")).unwrap_or_else(|_| panic!("{out}"));
    assert_eq!(got["src"], "./skill-package");
    assert_eq!(
        got["states"],
        json!(true),
        "the loader made .ask/ask-states.json"
    );
    assert_eq!(got["name"], "mock music");
    assert_eq!(got["apis"], json!(["custom"]));
    assert!(got["events"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    let subscribed: Vec<&str> = got["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(
        subscribed,
        ["SKILL_ENABLED", "SKILL_ACCOUNT_LINKED", "SKILL_DISABLED"]
    );
    // The account-linking body is not part of the package the loader reads.
    assert!(project
        .path()
        .join("skill-package/accountLinking.json")
        .exists());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Without Node, the same promise against the documented fields (ASK CLI
/// v2: `ask-resources.json` `askcliResourcesVersion` and
/// `profiles.<profile>.skillMetadata.src`; the package's `skill.json` with
/// `manifest.publishingInformation`, `manifest.apis.custom.endpoint` and
/// `manifest.events`). Always runs.
#[test]
fn the_project_has_the_fields_ask_deploy_documents() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read =
        |p: &Path| -> Value { serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap() };
    let resources = read(&root.join("ask-resources.json"));
    assert_eq!(resources["askcliResourcesVersion"], "2020-03-31");
    let src = resources["profiles"]["default"]["skillMetadata"]["src"]
        .as_str()
        .unwrap();
    let package = root.join(src);
    let manifest = read(&package.join("skill.json"));
    let m = &manifest["manifest"];
    assert_eq!(
        m["publishingInformation"]["locales"]["en-US"]["name"],
        "mock music"
    );
    for endpoint in [&m["apis"]["custom"]["endpoint"], &m["events"]["endpoint"]] {
        assert!(endpoint["uri"].as_str().unwrap().starts_with("https://"));
    }
    assert_eq!(m["events"]["subscriptions"].as_array().unwrap().len(), 3);
    assert!(package.join("interactionModels/custom/en-US.json").exists());
}
