//! What generated code asks of the user's types, at run time: a service
//! that is only served needs only half of serde, the context is found by
//! its marker or its real type, and a type of the user's own named
//! `Context` is an ordinary parameter.

use rpc_core::client::InProcess;
use rpc_core::{rpc, Context as RequestContext, Error};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tests::{block_on, call};

/// Only decoded: no `Serialize`.
#[derive(Deserialize)]
struct Query {
    text: String,
    #[serde(default)]
    times: usize,
}

/// Only encoded: no `Deserialize`.
#[derive(Serialize)]
struct Hits {
    count: usize,
}

struct Search;

#[rpc]
impl Search {
    fn find(&self, query: Query) -> Hits {
        Hits {
            count: query.text.len() * query.times.max(1),
        }
    }

    async fn find_all(&self, queries: Vec<Query>) -> Result<Vec<Hits>, Error> {
        Ok(queries.into_iter().map(|query| self.find(query)).collect())
    }

    #[rpc(blocking)]
    fn count(&self, #[rpc(flatten)] query: Query) -> Hits {
        self.find(query)
    }
}

#[test]
fn a_service_that_is_only_served_needs_only_half_of_serde() {
    let router = Search.into_router();
    assert_eq!(
        call(
            &router,
            r#"{"jsonrpc":"2.0","method":"find","params":[{"text":"abc","times":2}],"id":1}"#
        ),
        Some(json!({"jsonrpc": "2.0", "result": {"count": 6}, "id": 1}))
    );
    assert_eq!(
        call(
            &router,
            r#"{"jsonrpc":"2.0","method":"find_all","params":{"queries":[{"text":"a"},{"text":"bc"}]},"id":2}"#
        ),
        Some(json!({"jsonrpc": "2.0", "result": [{"count": 1}, {"count": 2}], "id": 2}))
    );
    assert_eq!(
        call(
            &router,
            r#"{"jsonrpc":"2.0","method":"count","params":{"text":"abcd"},"id":3}"#
        ),
        Some(json!({"jsonrpc": "2.0", "result": {"count": 4}, "id": 3}))
    );
    // The client exists all the same; its methods are what would need the other half.
    assert_eq!(SearchClient::METHODS.len(), 3);
}

type Ctx = rpc_core::Context;

mod app {
    /// A type of the user's own that happens to be named `Context`.
    #[derive(Debug, serde::Serialize, serde::Deserialize)]
    pub struct Context {
        pub locale: String,
    }
}

struct Peer;

#[rpc]
impl Peer {
    /// The context under a renamed import, marked.
    fn renamed(&self, #[rpc(context)] ctx: &RequestContext, n: u8) -> String {
        format!("{n} from {:?}", ctx.header("x-who"))
    }

    /// The context under an alias, marked, after the parameters.
    fn aliased(&self, n: u8, #[rpc(context)] ctx: &Ctx) -> String {
        format!("{n} from {:?}", ctx.header("x-who"))
    }

    /// The user's own `Context`, by value: an ordinary parameter.
    fn locale(&self, context: app::Context) -> String {
        context.locale
    }
}

#[test]
fn a_marked_context_receives_the_request_context_whatever_its_spelling() {
    let router = Peer.into_router();
    assert!(router.reads_context());
    let ctx = RequestContext::new().with_headers(vec![("x-who".to_owned(), "ada".to_owned())]);
    let answer = |input: &str| -> serde_json::Value {
        let bytes = block_on(router.handle(input.as_bytes(), &ctx)).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    assert_eq!(
        answer(r#"{"jsonrpc":"2.0","method":"renamed","params":[1],"id":1}"#)["result"],
        "1 from Some(\"ada\")"
    );
    assert_eq!(
        answer(r#"{"jsonrpc":"2.0","method":"aliased","params":{"n":2},"id":2}"#)["result"],
        "2 from Some(\"ada\")"
    );
    // Left out of the listing, as an unmarked `&Context` is.
    let params = |index: usize| -> Vec<&str> {
        Peer::METHODS[index]
            .params
            .iter()
            .map(|param| param.name)
            .collect()
    };
    assert_eq!((params(0), params(1)), (vec!["n"], vec!["n"]));
}

#[tokio::test]
async fn a_type_of_ones_own_named_context_is_an_ordinary_parameter() {
    assert_eq!(Peer::METHODS[2].params[0].name, "context");
    let client = PeerClient::new(InProcess::new(Peer.into_router()));
    let locale = client
        .locale(app::Context {
            locale: "fr".to_owned(),
        })
        .await
        .unwrap();
    assert_eq!(locale, "fr");
}
