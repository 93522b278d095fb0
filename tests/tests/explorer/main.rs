//! The method explorer in a real browser: headless Chromium, driven over
//! WebDriver by chromedriver (Debian's `chromium` and `chromium-driver`,
//! installed by `scripts/setup.sh`), against the calculator and the
//! `ws_methods` server. Without them these tests say loudly what they
//! skipped; with `RPC_REQUIRE_INTEROP=1` (as CI sets it) that is a failure.
//!
//! The calculator's page is saved as `target/explorer/calculator.png`.

mod webdriver;

use std::path::PathBuf;

use rpc_http::{Server, Stats};
use serde_json::Value;
use webdriver::{browser, Browser};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Fails on any console message at level `SEVERE` (errors, failed loads).
async fn assert_no_console_errors(browser: &Browser) {
    let errors: Vec<Value> = browser
        .console()
        .await
        .into_iter()
        .filter(|entry| entry["level"] == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// Types `value` into param `param` of `method`'s form.
async fn fill(browser: &Browser, method: &str, param: &str, value: &str) {
    let input = browser
        .find(&format!(
            r#"section[data-method="{method}"] [data-param="{param}"]"#
        ))
        .await;
    browser.clear(&input).await;
    browser.type_into(&input, value).await;
}

/// Waits for `method`'s outcome to show and returns its text.
async fn outcome(browser: &Browser, method: &str, part: &str) -> String {
    let value = browser
        .wait_for(
            &format!("{part} of {method}"),
            &format!(
                r#"const e = document.querySelector('section[data-method="{method}"] .outcome {part}');
                   return e && e.textContent;"#
            ),
        )
        .await;
    value.as_str().unwrap().to_owned()
}

async fn clear_outcome(browser: &Browser, method: &str) {
    browser
        .script(&format!(
            r#"document.querySelector('section[data-method="{method}"] .outcome').replaceChildren();"#
        ))
        .await;
}

#[test]
fn the_explorer_lists_calls_and_shows_errors_of_the_calculator() {
    let Some((chromium, driver)) = browser() else {
        return;
    };
    runtime().block_on(async {
        let server = examples::calculator::start("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", server.local_addr().unwrap());
        let browser = Browser::start(&chromium, &driver).await;
        browser.goto(&format!("{base}/explorer")).await;

        // It read rpc.discover and lists every method, with its docs.
        let status = browser
            .wait_for("the methods", "const s = document.getElementById('status').textContent; return s.endsWith('methods.') && s;")
            .await;
        assert_eq!(status, "10 methods.");
        let listed = browser
            .script("return [...document.querySelectorAll('section.method h2')].map(h => h.textContent)")
            .await;
        for name in ["math.add", "math.div", "math.midpoint", "math.sum", "system.listMethods"] {
            assert!(listed.as_array().unwrap().iter().any(|n| n == name), "{name} not in {listed}");
        }
        let add = browser.find(r#"section[data-method="math.add"]"#).await;
        let add_text = browser.text(&add).await;
        assert!(add_text.contains("Adds two integers; fails on overflow."), "{add_text}");
        assert!(add_text.contains("a: i64, b: i64"), "{add_text}");
        assert!(add_text.contains("Errors: 1 integer overflow"), "{add_text}");

        // Every field has a label.
        let unlabelled = browser
            .script("return [...document.querySelectorAll('input, select, textarea')].filter(e => !e.labels || !e.labels.length).map(e => e.id)")
            .await;
        assert_eq!(unlabelled, serde_json::json!([]));

        // Positional params (the default), sent with the keyboard: Enter in a field submits.
        fill(&browser, "math.add", "a", "40").await;
        fill(&browser, "math.add", "b", "2\u{E007}").await;
        assert_eq!(outcome(&browser, "math.add", ".result").await, "42");
        let request = outcome(&browser, "math.add", ".request").await;
        assert!(request.contains("\"params\": [\n    40,\n    2\n  ]"), "{request}");

        // Named params.
        let named = browser
            .find(r#"section[data-method="math.div"] input[data-style="named"]"#)
            .await;
        browser.click(&named).await;
        fill(&browser, "math.div", "a", "1").await;
        fill(&browser, "math.div", "b", "8").await;
        browser.click(&browser.find(r#"section[data-method="math.div"] button.call"#).await).await;
        assert_eq!(outcome(&browser, "math.div", ".result").await, "0.125");
        let request = outcome(&browser, "math.div", ".request").await;
        assert!(request.contains("\"params\": {\n    \"a\": 1,\n    \"b\": 8\n  }"), "{request}");

        // An error: its code, message and data.
        clear_outcome(&browser, "math.div").await;
        fill(&browser, "math.div", "b", "0").await;
        browser.click(&browser.find(r#"section[data-method="math.div"] button.call"#).await).await;
        assert_eq!(outcome(&browser, "math.div", ".error-code").await, "2");
        assert_eq!(outcome(&browser, "math.div", ".error-message").await, "division by zero");
        assert_eq!(outcome(&browser, "math.div", ".error-data").await, "1");
        let response = outcome(&browser, "math.div", ".response").await;
        assert!(response.contains("\"code\": 2"), "{response}");

        // A flattened param takes the whole params; a struct param takes JSON.
        fill(&browser, "math.sum", "values", "[1, 2, 3.5]").await;
        browser.click(&browser.find(r#"section[data-method="math.sum"] button.call"#).await).await;
        assert_eq!(outcome(&browser, "math.sum", ".result").await, "6.5");
        fill(&browser, "math.midpoint", "from", r#"{"x": 0, "y": 0}"#).await;
        fill(&browser, "math.midpoint", "to", r#"{"x": 2, "y": 4}"#).await;
        browser.click(&browser.find(r#"section[data-method="math.midpoint"] button.call"#).await).await;
        let midpoint = outcome(&browser, "math.midpoint", ".result").await;
        assert_eq!(serde_json::from_str::<Value>(&midpoint).unwrap(), serde_json::json!({"x": 1, "y": 2}));

        // A batch of two calls, built from the forms.
        browser.click(&browser.find(r#"section[data-method="math.add"] .add-to-batch"#).await).await;
        browser.click(&browser.find(r#"section[data-method="math.sum"] .add-to-batch"#).await).await;
        browser.click(&browser.find("#batch-send").await).await;
        let batch = browser
            .wait_for("the batch's answer", "const e = document.querySelector('#batch-outcome .response'); return e && e.textContent;")
            .await;
        let batch: Value = serde_json::from_str(batch.as_str().unwrap()).unwrap();
        let results: Vec<&Value> = batch.as_array().unwrap().iter().map(|answer| &answer["result"]).collect();
        assert_eq!(results, [&serde_json::json!(42), &serde_json::json!(6.5)]);

        // A bad value is caught before sending.
        fill(&browser, "math.add", "a", "forty").await;
        browser.click(&browser.find(r#"section[data-method="math.add"] button.call"#).await).await;
        let problem = outcome(&browser, "math.add", ".problem").await;
        assert!(problem.contains("`a` is not valid JSON"), "{problem}");

        assert_no_console_errors(&browser).await;

        // The page as a person sees it, after a call and an error.
        fill(&browser, "math.add", "a", "40").await;
        browser.click(&browser.find(r#"section[data-method="math.add"] button.call"#).await).await;
        outcome(&browser, "math.add", ".result").await;
        browser.script("document.querySelector('section[data-method=\"math.add\"]').scrollIntoView()").await;
        let picture = browser.screenshot().await;
        assert_eq!(&picture[1..4], b"PNG");
        let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/explorer");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("calculator.png"), picture).unwrap();

        browser.quit().await;
        server.shutdown();
        server.stopped().await;
    });
}

#[test]
fn the_explorer_shows_a_subscription_and_a_topic_live() {
    let Some((chromium, driver)) = browser() else {
        return;
    };
    runtime().block_on(async {
        let server = Server::bind("127.0.0.1:0")
            .mount("/", examples::ws_methods::router(&Stats::new()).unwrap())
            .explorer("/explorer")
            .start()
            .await
            .unwrap();
        let base = format!("http://{}", server.local_addr().unwrap());
        let browser = Browser::start(&chromium, &driver).await;
        browser.goto(&format!("{base}/explorer")).await;
        browser
            .wait_for("the live panel", "return !document.getElementById('live').hidden && document.getElementById('live-source').options.length;")
            .await;

        // A typed subscription: three ticks, then it ends by itself.
        browser
            .script("const s = document.getElementById('live-source'); s.value = [...s.options].find(o => o.text.startsWith('subscribe_ticks')).value;")
            .await;
        let params = browser.find("#live-params").await;
        browser.clear(&params).await;
        browser.type_into(&params, "[3, 20]").await;
        browser.click(&browser.find("#live-start").await).await;
        let ticks = browser
            .wait_for("three ticks", "const items = [...document.querySelectorAll('#live-messages li')]; return items.length >= 3 && items.map(li => li.textContent);")
            .await;
        let ticks: Vec<Value> = ticks.as_array().unwrap().iter().map(|t| serde_json::from_str(t.as_str().unwrap()).unwrap()).collect();
        let items: Vec<&Value> = ticks.iter().map(|tick| &tick["result"]).collect();
        assert_eq!(items, [&serde_json::json!(0), &serde_json::json!(1), &serde_json::json!(2)]);
        browser.click(&browser.find("#live-stop").await).await;

        // A topic: a message published from elsewhere shows up.
        browser
            .script("const s = document.getElementById('live-source'); s.value = [...s.options].find(o => o.text === 'topic news').value;")
            .await;
        browser.click(&browser.find("#live-start").await).await;
        browser
            .wait_for("the subscription", "return document.getElementById('live-status').textContent.startsWith('Subscribed');")
            .await;
        let client = rpc_core::client::Client::new(rpc_http::HttpClient::new(&format!("{base}/")).unwrap());
        let queued: usize = client
            .request("publish", ("news", serde_json::json!({"headline": "hello"})))
            .await
            .unwrap();
        assert_eq!(queued, 1);
        let message = browser
            .wait_for("the news", "const li = document.querySelector('#live-messages li'); return li && li.textContent;")
            .await;
        assert_eq!(message, r#"{"headline":"hello"}"#);
        browser.click(&browser.find("#live-stop").await).await;

        assert_no_console_errors(&browser).await;
        browser.quit().await;
        server.shutdown();
        server.stopped().await;
    });
}
