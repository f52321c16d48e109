//! Where settings come from: built-in defaults, then the TOML file, then the
//! environment (`MOCKLINK_*`, plus `DATABASE_URL`); unknown keys refused.

use super::{ConfigError, Settings, DEFAULT_CONFIG_FILE, NOT_SETTINGS};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use std::path::Path;

impl Settings {
    /// Loads defaults, then `file` (or `mocklink.toml` if present), then the
    /// environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let figment = Self::figment(file)?;
        refuse_unknown_keys(&figment)?;
        figment
            .extract::<Settings>()
            .map_err(|e| ConfigError::Invalid(e.to_string()))
            .and_then(Settings::validated)
    }

    fn figment(file: Option<&Path>) -> Result<Figment, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(path) if !path.exists() => return Err(ConfigError::MissingFile(path.into())),
            Some(path) => fig = fig.merge(Toml::file(path)),
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                fig = fig.merge(Toml::file(DEFAULT_CONFIG_FILE))
            }
            None => {}
        }
        if let Some(listen) = platform_listen()? {
            fig = fig.merge(Serialized::default("listen", listen));
        }
        Ok(fig
            .merge(Env::prefixed("MOCKLINK_").ignore(NOT_SETTINGS))
            .merge(Env::raw().only(&["database_url"])))
    }
}

/// `PORT`, as container platforms (Heroku, Cloud Run, Render, Fly, …) set
/// it: listen on every interface at that port. Above the config file's
/// `listen`, below `MOCKLINK_LISTEN` and `--listen`. An empty `PORT` is unset.
fn platform_listen() -> Result<Option<String>, ConfigError> {
    let Some(port) = std::env::var_os("PORT") else {
        return Ok(None);
    };
    let port = port.to_string_lossy();
    let port = port.trim();
    if port.is_empty() {
        return Ok(None);
    }
    port.parse::<u16>()
        .map(|p| Some(format!("0.0.0.0:{p}")))
        .map_err(|_| ConfigError::Invalid(format!("PORT must be a port number, got '{port}'")))
}

/// Every key of the file and every `MOCKLINK_*` variable must name a
/// setting: a typo is an error, not a silently ignored line. (What
/// `deny_unknown_fields` did before the settings had sections: serde cannot
/// combine it with `flatten`.)
fn refuse_unknown_keys(figment: &Figment) -> Result<(), ConfigError> {
    let known = serde_json::to_value(Settings::default()).unwrap_or_default();
    let known = known.as_object().cloned().unwrap_or_default();
    let given = figment
        .find_value("")
        .map_err(|e| ConfigError::Invalid(e.to_string()))?;
    let mut unknown: Vec<String> = given
        .as_dict()
        .into_iter()
        .flat_map(|d| d.keys())
        .filter(|k| !known.contains_key(k.as_str()))
        .cloned()
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort();
    Err(ConfigError::Invalid(format!(
        "unknown setting{} {} (see `mocklink config` for every setting)",
        if unknown.len() == 1 { "" } else { "s" },
        unknown
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}
