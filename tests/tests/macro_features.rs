//! Behaviour of generated code beyond the specification examples.

use std::borrow::Cow;

use rpc_core::client::InProcess;
use rpc_core::{rpc, Error};

type RpcResult<T> = Result<T, Error>;

struct Text;

#[rpc]
impl Text {
    /// Borrows its argument from the request when it can, copies it when it holds escapes.
    fn shout(&self, text: &str) -> String {
        text.to_uppercase()
    }

    /// An alias whose name ends in `Result` is read as a `Result`.
    fn parse(&self, text: String) -> RpcResult<i64> {
        text.parse()
            .map_err(|_| Error::invalid_params("not a number"))
    }

    /// Borrowed result types come back owned in the client.
    fn first_word(&self, text: String) -> Option<&'static str> {
        text.starts_with("hello").then_some("hello")
    }

    /// A `&str` parameter with a default.
    fn greet(&self, #[rpc(default = "world")] name: &str, #[rpc(default)] suffix: &str) -> String {
        format!("hello {name}{suffix}")
    }

    /// `(&'static str, i64)` likewise.
    fn pair(&self) -> (&'static str, i64) {
        ("hello", 5)
    }
}

fn client() -> TextClient<InProcess> {
    TextClient::new(InProcess::new(Text.into_router()))
}

#[tokio::test]
async fn str_arguments_accept_escaped_strings() {
    let client = client();
    assert_eq!(client.shout("plain").await.unwrap(), "PLAIN");
    assert_eq!(
        client.shout("line\nbreak \"quoted\" é").await.unwrap(),
        "LINE\nBREAK \"QUOTED\" É"
    );
}

#[tokio::test]
async fn str_arguments_may_have_defaults() {
    let client = client();
    assert_eq!(client.greet("you", "!").await.unwrap(), "hello you!");
    let untyped = client.client();
    let greeting: String = untyped.request("greet", ()).await.unwrap();
    assert_eq!(greeting, "hello world");
    let greeting: String = untyped
        .request("greet", serde_json::json!({"suffix": "?"}))
        .await
        .unwrap();
    assert_eq!(greeting, "hello world?");
}

#[tokio::test]
async fn result_aliases_answer_errors_as_errors() {
    let client = client();
    assert_eq!(client.parse("42".into()).await.unwrap(), 42);
    let err = client.parse("x".into()).await.unwrap_err();
    assert_eq!(err.code().unwrap().code(), -32602);
}

#[tokio::test]
async fn borrowed_result_types_are_owned_in_the_client() {
    let client = client();
    let word: Option<String> = client.first_word("hello world".into()).await.unwrap();
    assert_eq!(word.as_deref(), Some("hello"));
    let pair: (String, i64) = client.pair().await.unwrap();
    assert_eq!(pair, ("hello".to_owned(), 5));
}

/// Results that borrow from the arguments or from the service: written out
/// before either is dropped, so nothing is copied on the way.
struct Borrowing {
    name: String,
}

#[rpc]
impl Borrowing {
    /// Hands its argument straight back.
    fn echo<'a>(&self, text: &'a str) -> &'a str {
        text
    }

    /// The longer of two words, borrowed from whichever it is. (`'c` is
    /// also a name the generated batch could have used for itself.)
    fn longer<'a, 'c: 'a>(&self, first: &'a str, second: &'c str) -> Option<&'a str> {
        match first.len().cmp(&second.len()) {
            std::cmp::Ordering::Less => Some(second),
            std::cmp::Ordering::Greater => Some(first),
            std::cmp::Ordering::Equal => None,
        }
    }

    /// Borrows from the service.
    fn name(&self) -> &str {
        &self.name
    }

    /// Borrowed types at any depth, and a default: the first word, if any.
    fn first<'a>(
        &self,
        text: Option<&'a str>,
        #[rpc(default)] fallback: Option<Cow<'a, str>>,
    ) -> Option<Cow<'a, str>> {
        match text.and_then(|text| text.split_whitespace().next()) {
            Some(word) => Some(Cow::Borrowed(word)),
            None => fallback,
        }
    }

    /// An asynchronous method may borrow from its arguments too.
    async fn echo_later<'a>(&self, text: &'a str) -> Result<&'a str, Error> {
        tokio::task::yield_now().await;
        Ok(text)
    }
}

#[rpc]
trait BorrowingApi {
    fn trimmed<'a>(&self, text: &'a str) -> &'a str;

    async fn trimmed_later<'a>(&self, text: &'a str) -> &'a str;
}

impl BorrowingApi for Borrowing {
    fn trimmed<'a>(&self, text: &'a str) -> &'a str {
        text.trim()
    }

    async fn trimmed_later<'a>(&self, text: &'a str) -> &'a str {
        text.trim()
    }
}

#[tokio::test]
async fn results_may_borrow_from_the_arguments_and_the_service() {
    let service = || Borrowing {
        name: "borrowing".into(),
    };
    let client = BorrowingClient::new(InProcess::new(service().into_router()));
    let echoed: String = client.echo("plain").await.unwrap();
    assert_eq!(echoed, "plain");
    // Escaped text is decoded into an owned string, borrowed from that.
    assert_eq!(
        client.echo("a \"quoted\"\n").await.unwrap(),
        "a \"quoted\"\n"
    );
    let longer: Option<String> = client.longer("ab", "abc").await.unwrap();
    assert_eq!(longer.as_deref(), Some("abc"));
    assert_eq!(client.longer("ab", "cd").await.unwrap(), None);
    assert_eq!(client.name().await.unwrap(), "borrowing");
    assert_eq!(client.echo_later("later").await.unwrap(), "later");

    let first: Option<Cow<'static, str>> = client.first(Some("two words"), None).await.unwrap();
    assert_eq!(first.as_deref(), Some("two"));
    let fallback = client.first(None, Some("none".into())).await.unwrap();
    assert_eq!(fallback.as_deref(), Some("none"));
    assert_eq!(client.first(Some(" "), None).await.unwrap(), None);

    let mut batch = client.batch();
    let echo = batch.echo("in a batch").unwrap();
    let first = batch.first(Some("batch of words"), None).unwrap();
    let longer = batch.longer("a", "").unwrap();
    let answers = batch.send().await.unwrap();
    assert_eq!(answers.get(&echo).unwrap(), "in a batch");
    assert_eq!(answers.get(&longer).unwrap().as_deref(), Some("a"));
    assert_eq!(answers.get(&first).unwrap().as_deref(), Some("batch"));

    let client = BorrowingApiClient::new(InProcess::new(BorrowingApi::router_from_arc(
        std::sync::Arc::new(service()),
    )));
    assert_eq!(client.trimmed("  padded ").await.unwrap(), "padded");
    assert_eq!(client.trimmed_later(" later\t").await.unwrap(), "later");
}

struct Peer;

#[rpc]
impl Peer {
    /// Takes no context.
    fn ping(&self) -> &'static str {
        "pong"
    }

    /// Reads the caller's address.
    fn address(&self, ctx: &rpc_core::Context) -> Option<String> {
        ctx.peer_addr().map(|addr| addr.to_string())
    }
}

#[test]
fn methods_without_a_context_parameter_are_declared_to_ignore_it() {
    // Every method of `Text` ignores it: a transport need build no context.
    assert!(!Text.into_router().reads_context());
    // One method that takes it is enough to need one.
    assert!(Peer.into_router().reads_context());
}

#[rpc]
trait Pinger {
    /// Takes no context.
    fn ping(&self) -> String;
    /// Runs on the blocking pool.
    #[rpc(blocking)]
    fn heavy(&self) -> u32;
    /// Asynchronous.
    async fn later(&self) -> u32;
}

#[rpc]
trait Greeter {
    /// Reads a request header.
    fn who(&self, ctx: &rpc_core::Context) -> Option<String>;
}

struct Both;

impl Pinger for Both {
    fn ping(&self) -> String {
        "pong".to_owned()
    }

    fn heavy(&self) -> u32 {
        1
    }

    async fn later(&self) -> u32 {
        2
    }
}

impl Greeter for Both {
    fn who(&self, ctx: &rpc_core::Context) -> Option<String> {
        ctx.header("x-who").map(str::to_owned)
    }
}

#[test]
fn trait_services_declare_it_too() {
    assert!(!Pinger::into_router(Both).reads_context());
    assert!(Greeter::into_router(Both).reads_context());
    let mut both = Pinger::into_router(Both);
    both.merge(Greeter::into_router(Both)).unwrap();
    assert!(both.reads_context());
}
