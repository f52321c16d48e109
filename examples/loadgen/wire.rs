//! A lean HTTP/1.1 keep-alive client for the measured loops.
//!
//! The load driver shares the server's two cores, so every microsecond it
//! spends is taken from the server. reqwest (pool, URL parsing, header maps,
//! a full JSON parse of each answer) cost the driver ≈ 0.6 core at 2,700
//! redemptions/s, where wrk drives client_credentials with ≈ 0.27 core. Here
//! each worker owns one connection, writes a request it formatted itself,
//! parses the head with `httparse` and picks the one or two fields it needs out
//! of the body. The set-up steps (login, consent, the seed's story) keep
//! reqwest: argon2 bounds them, not the driver.

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub type Res<T> = Result<T, String>;

/// Where the server listens, and the request heads every worker shares.
pub struct Target {
    addr: String,
    host: String,
    basic: String,
}

impl Target {
    /// `base` is `http://host:port` (plain HTTP on loopback).
    pub fn new(base: &str, client: &str, secret: &str) -> Res<Self> {
        let hostport = base
            .strip_prefix("http://")
            .ok_or_else(|| format!("the lean client speaks plain http only: {base}"))?
            .trim_end_matches('/');
        Ok(Self {
            addr: hostport.to_owned(),
            host: hostport.to_owned(),
            basic: base64::engine::general_purpose::STANDARD.encode(format!("{client}:{secret}")),
        })
    }

    /// `POST /api/token` with HTTP Basic client authentication and a form body.
    pub fn token_request(&self, form: &str) -> Vec<u8> {
        format!(
            "POST /api/token HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            self.host,
            self.basic,
            form.len()
        )
        .into_bytes()
    }

    /// A GET of `path_and_query` with extra header lines (each ending in `\r\n`).
    pub fn get(&self, path_and_query: &str, headers: &str) -> Vec<u8> {
        format!(
            "GET {path_and_query} HTTP/1.1\r\nHost: {}\r\n{headers}\r\n",
            self.host
        )
        .into_bytes()
    }
}

/// One answer: its status, its `Location` (if any) and its body.
pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or("<not UTF-8>")
    }

    /// The string value of a top-level JSON member whose value needs no
    /// unescaping (tokens, codes): found by its `"name":"` marker.
    pub fn json_str(&self, name: &str) -> Res<&str> {
        let text = self.text();
        let marker = format!("\"{name}\":\"");
        let start = text
            .find(&marker)
            .ok_or_else(|| format!("no {name} in {}", start_of(text)))?
            + marker.len();
        let len = text[start..].find('"').ok_or("unterminated JSON string")?;
        Ok(&text[start..start + len])
    }

    /// Fails with the status and the start of the body unless the status is `want`.
    pub fn expect(self, want: u16, what: &str) -> Res<Self> {
        if self.status == want {
            Ok(self)
        } else {
            Err(format!(
                "{what} answered {}: {}",
                self.status,
                start_of(self.text())
            ))
        }
    }
}

/// One keep-alive connection, opened on first use and again after any error
/// or a `Connection: close`.
#[derive(Default)]
pub struct Conn {
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn send(&mut self, target: &Target, request: &[u8]) -> Res<Reply> {
        let outcome = self.try_send(target, request).await;
        if outcome.as_ref().map_or(true, |(_, keep)| !keep) {
            self.stream = None;
        }
        outcome.map(|(reply, _)| reply)
    }

    async fn try_send(&mut self, target: &Target, request: &[u8]) -> Res<(Reply, bool)> {
        if self.stream.is_none() {
            let s = TcpStream::connect(&target.addr)
                .await
                .map_err(|e| format!("connect {}: {e}", target.addr))?;
            s.set_nodelay(true).map_err(|e| e.to_string())?;
            self.stream = Some(s);
            self.buf.clear();
        }
        let stream = self.stream.as_mut().expect("connected above");
        stream.write_all(request).await.map_err(|e| e.to_string())?;
        self.buf.clear();
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut head = httparse::Response::new(&mut headers);
            match head.parse(&self.buf).map_err(|e| e.to_string())? {
                httparse::Status::Complete(head_len) => {
                    let status = head.code.unwrap_or(0);
                    let (mut length, mut location, mut keep) = (None, None, true);
                    for h in head.headers.iter() {
                        let value = std::str::from_utf8(h.value).unwrap_or("");
                        if h.name.eq_ignore_ascii_case("content-length") {
                            length = value.trim().parse::<usize>().ok();
                        } else if h.name.eq_ignore_ascii_case("location") {
                            location = Some(value.to_owned());
                        } else if h.name.eq_ignore_ascii_case("connection") {
                            keep = !value.eq_ignore_ascii_case("close");
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                            return Err(format!("chunked answer ({status}) not supported"));
                        }
                    }
                    let length = length.unwrap_or(0);
                    while self.buf.len() < head_len + length {
                        read_more(stream, &mut self.buf).await?;
                    }
                    let body = self.buf[head_len..head_len + length].to_vec();
                    return Ok((
                        Reply {
                            status,
                            location,
                            body,
                        },
                        keep,
                    ));
                }
                httparse::Status::Partial => read_more(stream, &mut self.buf).await?,
            }
        }
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Res<()> {
    let mut chunk = [0u8; 8192];
    let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
    if n == 0 {
        return Err("connection closed mid-answer".into());
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

/// The first 160 characters of an answer, for error messages.
pub fn start_of(text: &str) -> &str {
    text.char_indices()
        .nth(160)
        .map_or(text, |(i, _)| &text[..i])
}

/// The raw (still URL-encoded) value of `name` in a URL's query.
pub fn query_value<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1.split('#').next()?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

pub fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
