//! Just enough of the W3C WebDriver protocol to drive Chromium through
//! chromedriver: sessions, navigation, elements (find, click, type, read),
//! scripts, the browser's console log and screenshots. Each command is one
//! JSON request to chromedriver on loopback.
//!
//! Why not a WebDriver crate: fantoccini brings Mozilla's `webdriver` crate
//! with it, and with that `http` 0.2, `cookie` 0.16, `thiserror` 1 and ICU's
//! segmenter data (second versions of crates the tree already has, which
//! `deny.toml` refuses, and minutes of build on two cores); thirtyfour
//! brings reqwest. These nine commands are each a JSON request.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

/// The key under which WebDriver names an element.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Chromium and chromedriver, where Debian's `chromium` and
/// `chromium-driver` packages put them (or `$CHROMIUM`, `$CHROMEDRIVER`).
pub(crate) fn browser() -> Option<(PathBuf, PathBuf)> {
    let find = |variable: &str, default: &str| {
        let path = std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from);
        path.exists().then_some(path)
    };
    match (
        find("CHROMIUM", "/usr/bin/chromium"),
        find("CHROMEDRIVER", "/usr/bin/chromedriver"),
    ) {
        (Some(chromium), Some(driver)) => Some((chromium, driver)),
        _ => {
            let why = "SKIPPED browser tests: no Chromium and chromedriver at /usr/bin (Debian's \
                       `chromium` and `chromium-driver`; `bash scripts/setup.sh` installs them)";
            if std::env::var_os("RPC_REQUIRE_INTEROP").is_some() {
                panic!("{why}; RPC_REQUIRE_INTEROP is set, so this is a failure");
            }
            eprintln!("\n*** {why} ***\n");
            None
        }
    }
}

/// chromedriver, and one headless Chromium session under it; both end on drop.
pub(crate) struct Browser {
    driver: Child,
    base: String,
    http: Client<HttpConnector, Full<Bytes>>,
    profile: PathBuf,
}

/// An element of the page.
#[derive(Clone)]
pub(crate) struct Element(String);

impl Browser {
    /// Starts chromedriver and a headless Chromium session.
    pub(crate) async fn start(chromium: &Path, driver: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = Client::builder(TokioExecutor::new()).build_http();
        let profile =
            std::env::temp_dir().join(format!("rpc-explorer-test-{}-{port}", std::process::id()));
        let mut browser = Self {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            http,
            profile,
        };
        let ready = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(status) = browser.raw("GET", "/status", None).await {
                if status["value"]["ready"] == true {
                    break;
                }
            }
            assert!(
                Instant::now() < ready,
                "chromedriver did not get ready in 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                // As root and without a desktop; and no calls out of a closed network.
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-extensions",
                    "--window-size=1280,1500",
                    format!("--user-data-dir={}", browser.profile.display()),
                ],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let session = browser
            .raw("POST", "/session", Some(capabilities))
            .await
            .unwrap();
        let id = session["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {session}"))
            .to_owned();
        browser.base = format!("{}/session/{id}", browser.base);
        browser
    }

    async fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(
                body.map(|b| b.to_string()).unwrap_or_default(),
            )))
            .unwrap();
        let response = tokio::time::timeout(Duration::from_secs(60), self.http.request(request))
            .await
            .map_err(|_| format!("{method} {path}: no answer in 60 s"))?
            .map_err(|err| err.to_string())?;
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|err| err.to_string())?;
        serde_json::from_slice(&body.to_bytes()).map_err(|err| err.to_string())
    }

    /// Runs a session command; panics with WebDriver's error.
    async fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let answer = self
            .raw(method, path, body)
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        if answer["value"].get("error").is_some() {
            panic!("{method} {path} failed: {answer}");
        }
        answer["value"].clone()
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({"url": url})))
            .await;
    }

    pub(crate) async fn find(&self, css: &str) -> Element {
        let found = self
            .command(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        Element(found[ELEMENT].as_str().unwrap().to_owned())
    }

    pub(crate) async fn click(&self, element: &Element) {
        self.command(
            "POST",
            &format!("/element/{}/click", element.0),
            Some(json!({})),
        )
        .await;
    }

    /// Types `text` into the element (it gets the focus, as from the keyboard).
    pub(crate) async fn type_into(&self, element: &Element, text: &str) {
        self.command(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({"text": text})),
        )
        .await;
    }

    pub(crate) async fn clear(&self, element: &Element) {
        self.command(
            "POST",
            &format!("/element/{}/clear", element.0),
            Some(json!({})),
        )
        .await;
    }

    pub(crate) async fn text(&self, element: &Element) -> String {
        let text = self
            .command("GET", &format!("/element/{}/text", element.0), None)
            .await;
        text.as_str().unwrap_or_default().to_owned()
    }

    /// Runs `script` (a function body) in the page and returns what it returns.
    pub(crate) async fn script(&self, script: &str) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Waits up to 10 s for `script` to return something truthy; returns it.
    pub(crate) async fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let value = self.script(script).await;
            if !matches!(value, Value::Null | Value::Bool(false)) && value != "" {
                return value;
            }
            if Instant::now() > deadline {
                let page = self.script("return document.body.innerText").await;
                panic!(
                    "waited 10 s for {what}; the page reads:\n{}",
                    page.as_str().unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The browser's console messages since the last call.
    pub(crate) async fn console(&self) -> Vec<Value> {
        let log = self
            .command("POST", "/se/log", Some(json!({"type": "browser"})))
            .await;
        log.as_array().cloned().unwrap_or_default()
    }

    /// A PNG of the window.
    pub(crate) async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let picture = self.command("GET", "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD
            .decode(picture.as_str().unwrap())
            .unwrap()
    }

    /// Ends the session (the browser with it).
    pub(crate) async fn quit(&self) {
        let _ = self.raw("DELETE", "", None).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
