//! Whether the system's file dialogs can work here.
//!
//! On Linux rfd asks `org.freedesktop.portal.Desktop` on the D-Bus session
//! bus for a file chooser and, when that call fails, runs `zenity`. With
//! neither (a bare X server, a container) it returns "no file" exactly as
//! for a cancel, so Open and Save would silently do nothing. [`start_check`]
//! looks once, on a named thread with a time limit, whether the portal is
//! running or activatable on the session bus and whether `zenity` is on the
//! `PATH`; [`checked`] returns the cached answer. The app uses its own path
//! prompt when the answer is [`DialogService::Missing`].
//!
//! On other systems the native dialogs always work: the check says
//! [`DialogService::Portal`] at once.

use std::sync::OnceLock;
use std::time::Duration;

/// The well-known bus name of the desktop portal.
pub const PORTAL: &str = "org.freedesktop.portal.Desktop";

/// Longest wait for the session bus to answer; a bus that takes longer is
/// treated as absent (a dialog through it would hang as long).
pub const CHECK_TIMEOUT: Duration = Duration::from_millis(1500);

/// What serves the file dialogs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogService {
    /// The desktop portal (or, off Linux, the system's native dialogs).
    Portal,
    /// No portal, but rfd's `zenity` fallback is installed.
    Zenity,
    /// Nothing: dialogs would return nothing as if cancelled.
    Missing,
}

static CHECKED: OnceLock<DialogService> = OnceLock::new();
static STARTED: OnceLock<()> = OnceLock::new();

/// Starts the check on a background thread, once per process; later calls
/// do nothing.
pub fn start_check() {
    if STARTED.set(()).is_err() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("tokenplan-portal-check".into())
        .spawn(|| {
            let _ = CHECKED.set(check_now());
        });
    if spawned.is_err() {
        // No thread for the check: assume the dialogs work, as before it.
        let _ = CHECKED.set(DialogService::Portal);
    }
}

/// The answer of the check, `None` while it runs (or before it started).
pub fn checked() -> Option<DialogService> {
    CHECKED.get().copied()
}

/// True when paths are typed in the app's prompt rather than picked in a
/// file dialog: the user asked for it, or the check found no dialog service.
/// While the check runs the dialogs are tried.
pub fn prompt_instead(type_paths: bool, service: Option<DialogService>) -> bool {
    type_paths || service == Some(DialogService::Missing)
}

/// Looks for a dialog service now, blocking at most about
/// [`CHECK_TIMEOUT`].
#[cfg(target_os = "linux")]
pub fn check_now() -> DialogService {
    if portal_reachable(None, CHECK_TIMEOUT) {
        DialogService::Portal
    } else if on_path("zenity") {
        DialogService::Zenity
    } else {
        DialogService::Missing
    }
}

/// Off Linux the native dialogs always work.
#[cfg(not(target_os = "linux"))]
pub fn check_now() -> DialogService {
    DialogService::Portal
}

/// True when the portal owns its name on the bus at `address` (the
/// session bus when `None`) or the bus can start it on demand. The bus is
/// asked on a thread of its own so that a bus that never answers costs
/// `timeout`, not a hang.
#[cfg(target_os = "linux")]
fn portal_reachable(address: Option<String>, timeout: Duration) -> bool {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("tokenplan-dbus-ask".into())
        .spawn(move || {
            let _ = tx.send(block_on(ask_bus(address.as_deref())).unwrap_or(false));
        });
    spawned.is_ok() && rx.recv_timeout(timeout).unwrap_or(false)
}

#[cfg(target_os = "linux")]
async fn ask_bus(address: Option<&str>) -> zbus::Result<bool> {
    let connection = match address {
        Some(a) => zbus::connection::Builder::address(a)?.build().await?,
        None => zbus::Connection::session().await?,
    };
    let bus = zbus::fdo::DBusProxy::new(&connection).await?;
    let name = zbus::names::BusName::try_from(PORTAL)?;
    if bus.name_has_owner(name).await? {
        return Ok(true);
    }
    let activatable = bus.list_activatable_names().await?;
    Ok(activatable.iter().any(|n| n.as_str() == PORTAL))
}

/// Runs `future` to completion on this thread. zbus drives its socket on
/// its own executor thread, so parking until woken is all that is needed.
#[cfg(target_os = "linux")]
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

/// True when an executable file `name` is in a directory of `PATH`.
#[cfg(target_os = "linux")]
fn on_path(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join(name))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_is_used_when_asked_for_or_nothing_serves_dialogs() {
        assert!(prompt_instead(true, Some(DialogService::Portal)));
        assert!(prompt_instead(false, Some(DialogService::Missing)));
        assert!(!prompt_instead(false, Some(DialogService::Zenity)));
        assert!(!prompt_instead(false, Some(DialogService::Portal)));
        // While the check runs the dialogs are tried.
        assert!(!prompt_instead(false, None));
    }

    /// A private bus of our own: the portal is reachable exactly while
    /// someone owns its name there. Needs `dbus-daemon`; without it there
    /// is no bus to ask and the test says so and checks the absent case.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_portal_is_found_only_while_its_name_is_owned() {
        use std::io::BufRead as _;
        let nowhere = "unix:path=/nonexistent/tokenplan-test-bus".to_owned();
        assert!(!portal_reachable(Some(nowhere), CHECK_TIMEOUT));
        let Ok(mut daemon) = std::process::Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
        else {
            eprintln!("dbus-daemon is not installed: only the absent bus was checked");
            return;
        };
        let mut address = String::new();
        let stdout = daemon.stdout.take().unwrap();
        std::io::BufReader::new(stdout)
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        let outcome = std::panic::catch_unwind(|| {
            assert!(!portal_reachable(Some(address.clone()), CHECK_TIMEOUT));
            let owner = block_on(async {
                let c = zbus::connection::Builder::address(address.as_str())?
                    .build()
                    .await?;
                c.request_name(PORTAL).await?;
                zbus::Result::Ok(c)
            })
            .unwrap();
            assert!(portal_reachable(Some(address.clone()), CHECK_TIMEOUT));
            drop(owner);
        });
        // Ends only the daemon this test started, by its handle.
        let _ = daemon.kill();
        let _ = daemon.wait();
        outcome.unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn executables_are_found_on_the_path() {
        assert!(on_path("sh"));
        assert!(!on_path("tokenplan-no-such-program"));
    }
}
