//! The notification area: each error or notice is pushed once, when it
//! happens, with its cause, and stays until dismissed.

/// How serious a notification is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Something worked (a file saved).
    Info,
    /// Something was wrong with the input but work went on.
    Warning,
    /// Something failed; nothing was changed by it.
    Error,
}

/// One message for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// Stable id, for dismissing.
    pub id: u64,
    /// How serious.
    pub level: Level,
    /// What happened, where, and why (the cause chain).
    pub text: String,
}

/// The notifications shown, oldest first.
#[derive(Default)]
pub struct Notifications {
    next_id: u64,
    items: Vec<Notification>,
}

impl Notifications {
    /// Most notifications kept; older ones go first.
    pub const MAX: usize = 8;

    /// Adds one.
    pub fn push(&mut self, level: Level, text: impl Into<String>) {
        self.next_id += 1;
        self.items.push(Notification {
            id: self.next_id,
            level,
            text: text.into(),
        });
        if self.items.len() > Self::MAX {
            self.items.remove(0);
        }
    }

    /// Removes the one with `id`.
    pub fn dismiss(&mut self, id: u64) {
        self.items.retain(|n| n.id != id);
    }

    /// All of them, oldest first.
    pub fn items(&self) -> &[Notification] {
        &self.items
    }
}
