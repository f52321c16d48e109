//! There is no Docker engine in CI, so docker-compose.yml and the Dockerfile
//! are checked against the binary instead: every command must parse with our
//! CLI, every variable must be a setting, every port and service URL must
//! match a listen address, so the demo files cannot rot silently.

use clap::Parser;
use mocklink::cli::Cli;
use mocklink::config::Settings;
use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};

fn root(file: &str) -> String {
    std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Environment variables the binary reads.
fn known_variables() -> BTreeSet<String> {
    let defaults = serde_json::to_value(Settings::default()).unwrap();
    let mut vars: BTreeSet<String> = defaults
        .as_object()
        .unwrap()
        .keys()
        .map(|k| format!("MOCKLINK_{}", k.to_uppercase()))
        .collect();
    vars.extend(["DATABASE_URL", "MOCKLINK_CONFIG", "MOCKLINK_LOG"].map(String::from));
    vars
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| s.iter().map(|x| x.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

fn port_of(addr: &str) -> u16 {
    addr.rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

#[test]
fn docker_compose_matches_the_binary() {
    let compose: Value = serde_yaml_ng::from_str(&root("docker-compose.yml")).unwrap();
    let services = compose["services"].as_mapping().unwrap();
    let names: BTreeSet<String> = services
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    for required in ["postgres", "provider", "skill", "alexa"] {
        assert!(names.contains(required), "service {required} is missing");
    }
    assert!(compose["services"]["postgres"]["image"]
        .as_str()
        .unwrap()
        .starts_with("postgres:"));
    assert!(compose["services"]["postgres"]["healthcheck"].is_mapping());

    let known = known_variables();
    let mut listen_ports = BTreeMap::new();
    let mut roles_served = BTreeSet::new();
    for (name, svc) in services {
        let name = name.as_str().unwrap();
        if name == "postgres" {
            continue;
        }
        assert_eq!(
            svc["image"].as_str(),
            Some("mocklink:latest"),
            "{name}: one image for every role"
        );
        let command = strings(&svc["command"]);
        let cli =
            Cli::try_parse_from(std::iter::once("mocklink".to_owned()).chain(command.clone()))
                .unwrap_or_else(|e| panic!("{name}: command {command:?} does not parse: {e}"));
        let Some(mocklink::cli::Command::Serve(args)) = cli.command else {
            panic!("{name}: command must be `serve`")
        };
        roles_served.extend(args.roles.iter().map(|r| format!("{r:?}")));

        let env = svc["environment"].as_mapping().unwrap();
        for (k, v) in env {
            let k = k.as_str().unwrap();
            assert!(
                known.contains(k),
                "{name}: {k} is not a setting the binary reads ({known:?})"
            );
            let v = v.as_str().unwrap_or_default();
            // URLs that name another service must use that service's port.
            if let Ok(url) = url::Url::parse(v) {
                if let Some(host) = url
                    .host_str()
                    .filter(|h| names.contains(*h) && *h != "postgres")
                {
                    listen_ports
                        .entry(format!("{host}@{k}"))
                        .or_insert(url.port().unwrap());
                }
            }
        }
        let listen = env
            .get("MOCKLINK_LISTEN")
            .and_then(Value::as_str)
            .expect("MOCKLINK_LISTEN is set");
        assert!(
            listen.starts_with("0.0.0.0:"),
            "{name}: listen on all interfaces inside the container"
        );
        let port = port_of(listen);
        listen_ports.insert(name.to_owned(), port);
        for mapping in strings(&svc["ports"]) {
            assert_eq!(
                port_of(&mapping),
                port,
                "{name}: container port must be the listen port"
            );
        }
        let public = env
            .get("MOCKLINK_PUBLIC_URL")
            .and_then(Value::as_str)
            .expect("MOCKLINK_PUBLIC_URL is set");
        let host_port: u16 = strings(&svc["ports"])[0]
            .split(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            url::Url::parse(public).unwrap().port(),
            Some(host_port),
            "{name}: public URL uses the published port"
        );

        let check = strings(&svc["healthcheck"]["test"]);
        assert_eq!(
            check[..2],
            ["CMD".to_owned(), "mocklink".to_owned()],
            "{name}: healthcheck runs the binary"
        );
        Cli::try_parse_from(check[1..].iter())
            .unwrap_or_else(|e| panic!("{name}: healthcheck does not parse: {e}"));
        for dep in svc["depends_on"]
            .as_mapping()
            .map(|m| m.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            assert!(
                names.contains(dep.as_str().unwrap()),
                "{name} depends on an unknown service"
            );
        }
    }
    // The provider registers the simulator's redirect at the simulator's
    // public URL, and the simulator sends browsers to the provider's.
    let env = |svc: &str, var: &str| {
        compose["services"][svc]["environment"][var]
            .as_str()
            .map(str::to_owned)
    };
    assert_eq!(
        env("provider", "MOCKLINK_SIMULATOR_URL"),
        env("alexa", "MOCKLINK_PUBLIC_URL")
    );
    assert_eq!(
        env("alexa", "MOCKLINK_ALEXA_AUTHORIZATION_URL"),
        env("provider", "MOCKLINK_PUBLIC_URL").map(|u| format!("{u}/authorize"))
    );
    for role in ["Provider", "Api", "Skill", "Alexa"] {
        assert!(
            roles_served.contains(role),
            "no service serves the {role} role"
        );
    }
    // Every server-to-server URL names a host its target service answers
    // to (the Host allowlist refuses any other with 421).
    let allowed = |svc: &str| -> BTreeSet<String> {
        env(svc, "MOCKLINK_ALLOWED_HOSTS")
            .unwrap_or_default()
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect()
    };
    let mut cross_service = 0;
    for (name, svc) in services {
        for (k, v) in svc["environment"].as_mapping().into_iter().flatten() {
            let Ok(url) = url::Url::parse(v.as_str().unwrap_or_default()) else {
                continue;
            };
            let Some(host) = url
                .host_str()
                .filter(|h| names.contains(*h) && *h != "postgres")
            else {
                continue;
            };
            cross_service += 1;
            assert!(
                allowed(host).contains(host),
                "{name:?}: {} calls {host} by its service name, which {host}'s MOCKLINK_ALLOWED_HOSTS does not allow",
                k.as_str().unwrap()
            );
        }
    }
    assert!(cross_service >= 3, "the services call each other by name");
    // The browser reaches the containers through Docker's port forwarding
    // (never a loopback peer): every service with a toolbox or simulator
    // sets the admin password, and the README prints it.
    let readme = root("README.md");
    for (name, svc) in services {
        let command = strings(&svc["command"]).join(" ");
        if command.contains("provider") || command.contains("alexa") || command.contains(" all") {
            let password =
                env(name.as_str().unwrap(), "MOCKLINK_ADMIN_PASSWORD").unwrap_or_else(|| {
                    panic!("{name:?}: the toolbox needs MOCKLINK_ADMIN_PASSWORD in compose")
                });
            assert!(
                readme.contains(&format!("`{password}`")),
                "the README prints compose's admin password {password}"
            );
        }
    }
    for (key, port) in &listen_ports {
        if let Some((service, var)) = key.split_once('@') {
            assert_eq!(
                Some(port),
                listen_ports.get(service),
                "{var} points at {service} on the wrong port"
            );
        }
    }
}

#[test]
fn the_dockerfile_is_multi_stage_small_and_non_root() {
    let dockerfile = root("Dockerfile");
    let froms: Vec<&str> = dockerfile
        .lines()
        .filter(|l| l.starts_with("FROM "))
        .collect();
    assert!(froms.len() >= 2, "multi-stage");
    let builder = froms[0];
    let rust_version = builder
        .split("rust:")
        .nth(1)
        .unwrap()
        .split('-')
        .next()
        .unwrap();
    let manifest = root("Cargo.toml");
    let msrv = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    let v = |s: &str| {
        s.split('.')
            .map(|p| p.parse::<u32>().unwrap())
            .collect::<Vec<_>>()
    };
    assert!(
        v(rust_version) >= v(msrv),
        "builder Rust {rust_version} is older than rust-version {msrv}"
    );
    let runtime = &dockerfile[dockerfile.rfind("\nFROM ").unwrap()..];
    assert!(
        runtime.contains("distroless") || runtime.contains("slim"),
        "small runtime image"
    );
    let user = runtime
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER in the runtime stage");
    assert!(
        !user.starts_with("root") && !user.starts_with('0'),
        "non-root"
    );
    assert!(runtime.contains("ENTRYPOINT [\"mocklink\"]"));
    assert!(dockerfile.contains("--bin mocklink"));
    let healthcheck = runtime
        .lines()
        .find(|l| l.starts_with("HEALTHCHECK"))
        .unwrap();
    assert!(healthcheck.contains("\"mocklink\", \"healthcheck\""));
}
