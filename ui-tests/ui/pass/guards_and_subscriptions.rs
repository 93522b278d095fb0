//! Guards on a service and on its methods, and subscriptions, on an impl
//! block and on a trait; the generated client's subscription methods.

use rpc_core::client::{Client, InProcess};
use rpc_core::guard::{self, Guard};
use rpc_core::{rpc, Context, Error, Subscription};

fn office_hours(_: &Context) -> Result<(), Error> {
    Ok(())
}

pub struct Feed;

#[rpc(guard = [guard::login_required, office_hours])]
impl Feed {
    /// Open to logged-in callers in office hours.
    fn read(&self) -> u32 {
        1
    }

    /// Also needs `admin`.
    #[rpc(guard = guard::permission_required("admin"))]
    fn write(&self, value: u32) -> u32 {
        value
    }

    /// A subscription whose method is asynchronous and may fail.
    #[rpc(subscription = "updates", unsubscribe = "stop_updates")]
    async fn updates(&self, from: u32) -> Result<Subscription<u32>, Error> {
        let (sender, subscription) = Subscription::channel(4);
        let _ = sender.try_send(from);
        Ok(subscription)
    }
}

#[rpc(namespace = "clock")]
pub trait Clock {
    /// Ticks.
    #[rpc(subscription = "tick", unsubscribe = "stop")]
    fn ticks(&self, every_ms: u64) -> Subscription<u64>;
}

struct Ticker;

impl Clock for Ticker {
    fn ticks(&self, every_ms: u64) -> Subscription<u64> {
        let (sender, subscription) = Subscription::channel(1);
        let _ = sender.try_send(every_ms);
        subscription
    }
}

fn main() {
    let router = Feed.into_router();
    assert!(router.contains("stop_updates"));
    let clock = Ticker.into_router();
    assert!(clock.contains("clock.ticks") && clock.contains("clock.stop"));
    let _ = office_hours.check(&Context::new());
    let client = FeedClient::new(InProcess::new(router));
    let _future = client.updates(1);
    let _plain: &Client<InProcess> = client.client();
    assert_eq!(ClockClient::METHODS[0].subscription.unwrap().unsubscribe, "clock.stop");
}
