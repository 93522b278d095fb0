//! A chat over WebSocket: log in (the server asks the client to confirm),
//! rooms as topics, a typed subscription to who comes and goes. Two members
//! talk, then it exits.
//!
//! Run with: `cargo run -p examples --example chat`

#![deny(warnings)]

use rpc_core::client::Client;
use rpc_core::{guard, rpc, Context, Error, Identity, Subscription, Topics};
use rpc_http::{Server, WsClient};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// What the server may ask a member (served by each client).
#[rpc]
pub trait Member {
    /// A yes-or-no question for the person at the keyboard.
    fn confirm(&self, question: String) -> bool;
}

/// Someone came or went.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Presence {
    /// Who.
    pub name: String,
    /// Came (`true`) or went.
    pub here: bool,
}

/// The chat: rooms are topics; presence is broadcast to its watchers.
struct Chat {
    rooms: Topics,
    presence: broadcast::Sender<Presence>,
}

#[rpc(namespace = "chat")]
impl Chat {
    /// Logs in as `name`, once the member confirms it (a call to the client).
    async fn login(&self, name: String, ctx: &Context) -> Result<bool, Error> {
        let peer = ctx.peer()?;
        let confirmed = MemberClient::new(peer.clone())
            .confirm(format!("Log in as {name}?"))
            .await?;
        if confirmed {
            ctx.session().set_identity(Identity::new(name.clone()));
            let _ = self.presence.send(Presence {
                name: name.clone(),
                here: true,
            });
            let presence = self.presence.clone();
            peer.on_close(move || drop(presence.send(Presence { name, here: false })));
        }
        Ok(confirmed)
    }

    /// Says `text` in `room`; answers how many members it reached.
    #[rpc(guard = guard::login_required)]
    fn say(&self, room: String, text: String, ctx: &Context) -> Result<usize, Error> {
        let from = guard::identity(ctx)?.user().to_owned();
        self.rooms
            .publish(&room, &serde_json::json!({ "from": from, "text": text }))
    }

    /// Who comes and goes, from now on.
    #[rpc(subscription = "presence", unsubscribe = "unwatch")]
    fn watch(&self) -> Subscription<Presence> {
        let mut changes = self.presence.subscribe();
        let (sender, subscription) = Subscription::channel(16);
        tokio::spawn(async move {
            while let Ok(change) = changes.recv().await {
                if sender.send(change).await.is_err() {
                    break; // unsubscribed, or the connection is gone
                }
            }
        });
        subscription
    }
}

/// A member who says yes to every question.
struct Agreeable;

impl Member for Agreeable {
    fn confirm(&self, question: String) -> bool {
        println!("  (asked: {question} yes)");
        true
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rooms = Topics::new().guarded_topic("rust", guard::login_required);
    let chat = Chat {
        rooms: rooms.clone(),
        presence: broadcast::channel(64).0,
    };
    let mut router = chat.into_router();
    router.nest("chat", rooms.methods().router()?)?;
    let server = Server::bind("127.0.0.1:0")
        .mount("/", router)
        .start()
        .await?;
    let url = format!("ws://{}/", server.local_addr().expect("a TCP address"));

    let connect = || {
        WsClient::builder()
            .router(Agreeable.into_router())
            .connect(&url)
    };
    let (alice, bob) = (connect().await?, connect().await?);
    let (alice_chat, bob_chat) = (ChatClient::new(alice.clone()), ChatClient::new(bob.clone()));

    // Saying something before logging in is refused by the guard.
    let refused = alice_chat
        .say("rust".into(), "hi?".into())
        .await
        .unwrap_err();
    println!("alice, not logged in: {refused}");

    println!("bob logs in: {}", bob_chat.login("bob".into()).await?);
    let mut presence = bob_chat.watch().await?;
    println!("alice logs in: {}", alice_chat.login("alice".into()).await?);
    let seen = presence.next().await.expect("a presence change")?;
    println!(
        "bob sees: {} is {}",
        seen.name,
        if seen.here { "here" } else { "gone" }
    );

    let mut room = bob.notifications("rust");
    let joined: Vec<String> = Client::new(bob.clone())
        .request("chat.subscribe", (["rust"],))
        .await?;
    println!("bob joins {joined:?}");
    let reached = alice_chat.say("rust".into(), "hello, bob".into()).await?;
    let message: serde_json::Value = room.next().await.expect("a message")?;
    println!("alice says to {reached} member(s); bob reads {message}");

    alice.close().await;
    let seen = presence.next().await.expect("a presence change")?;
    println!(
        "bob sees: {} is {}",
        seen.name,
        if seen.here { "here" } else { "gone" }
    );

    server.shutdown();
    server.stopped().await;
    Ok(())
}
