use super::*;

#[test]
fn defaults_are_what_the_readme_promises() {
    let s = Settings::default();
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.public_url(), "http://127.0.0.1:8080");
    assert_eq!(s.database_url, "sqlite:mocklink.db");
    assert_eq!(s.demo_client_id, "alexa-skill");
    assert!(s.uses_demo_secrets());
    assert_eq!(
        s.alexa_redirect_uris()[0],
        "https://pitangui.amazon.com/api/skill/link/M2AB3CD4EF5GHI"
    );
}

#[test]
fn roles_come_as_a_list_or_a_comma_separated_string() {
    let from_text: Settings = serde_json::from_str(r#"{"roles": "provider, api"}"#).unwrap();
    assert_eq!(from_text.roles, [Role::Provider, Role::Api]);
    let from_list: Settings = serde_json::from_str(r#"{"roles": ["skill"]}"#).unwrap();
    assert!(from_list.serves(Role::Skill) && !from_list.serves(Role::Provider));
    assert!(Settings::default().serves(Role::Alexa));
    assert!(serde_json::from_str::<Settings>(r#"{"roles": "bogus"}"#).is_err());
}

#[test]
fn the_toolbox_settings_come_from_the_config_file() {
    let dir = std::env::temp_dir().join(format!("mocklink-cfg-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mocklink.toml");
    std::fs::write(
        &file,
        r#"
admin_password = "from-the-file"
inspector = false
inspector_max_per_client = 50
[[users]]
username = "bruna"
password = "x"
persona = "Brazilian listener"
locked = true
empty_library = true
[[scenarios]]
kind = "api_error"
status = 429
seconds = 30
path = "/v1/me/player"
count = 2
"#,
    )
    .unwrap();
    let s = Settings::load(Some(&file)).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(s.toolbox.admin_password.unwrap().expose(), "from-the-file");
    assert!(!s.toolbox.inspector);
    assert_eq!(s.toolbox.inspector_max_per_client, 50);
    let u = &s.users[0];
    assert!(u.locked && u.empty_library);
    assert_eq!(u.persona.as_deref(), Some("Brazilian listener"));
    assert_eq!(
        s.toolbox.scenarios[0].kind,
        crate::domain::ScenarioKind::ApiError
    );
    assert_eq!(s.toolbox.scenarios[0].count, Some(2));
}

#[test]
fn an_empty_admin_password_is_refused() {
    let mut s = Settings::default();
    s.toolbox.admin_password = Some(crate::domain::Secret::new(" "));
    assert!(s.validated().is_err());
}

#[test]
fn the_inspector_is_on_with_a_bounded_ring_by_default() {
    let s = Settings::default();
    assert!(s.toolbox.inspector);
    assert_eq!(s.toolbox.inspector_max_per_client, 500);
    let mut s = Settings::default();
    s.toolbox.inspector_max_per_client = 0;
    assert!(s.validated().is_err());
}

#[test]
fn code_ttl_is_bounded() {
    let s = Settings {
        code_ttl_seconds: 3600,
        ..Settings::default()
    };
    assert!(s.validated().is_err());
}
