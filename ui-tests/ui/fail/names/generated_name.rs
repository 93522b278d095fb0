struct Mailer;

#[rpc_core::rpc]
impl Mailer {
    fn send(&self, to: String) -> bool {
        !to.is_empty()
    }
}

fn main() {}
