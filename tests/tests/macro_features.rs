//! Behaviour of generated code beyond the specification examples.

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
