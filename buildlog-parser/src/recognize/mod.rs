//! One recogniser per producer of log lines. Each reads normalised lines, writes the facts it
//! knows into the [`Collector`](crate::collector::Collector), and says whether a line is installer
//! progress (which ends an error block) or part of a block it owns.

pub mod micropipenv;
pub mod pdm;
pub mod pip;
pub mod pipenv;
pub mod poetry;
pub mod s2i;
pub mod uv;

use crate::collector::{Collector, Line, Role};

/// Every recogniser, in the order lines are offered to them.
#[derive(Debug, Default)]
pub struct Recognizers {
    s2i: s2i::S2i,
    micropipenv: micropipenv::Micropipenv,
    pip: pip::Pip,
    uv: uv::Uv,
    pipenv: pipenv::Pipenv,
    poetry: poetry::Poetry,
    pdm: pdm::Pdm,
}

impl Recognizers {
    pub fn line(&mut self, line: &Line<'_>, c: &mut Collector) -> Role {
        // Block owners first: inside a printed lock file or configuration, nothing else applies.
        let role = self.s2i.line(line, c);
        if role == Role::Owned {
            return role;
        }
        let role = role.or(self.micropipenv.line(line, c));
        if role == Role::Owned {
            return role;
        }
        role.or(self.pip.line(line, c))
            .or(self.uv.line(line, c))
            .or(self.pipenv.line(line, c))
            .or(self.poetry.line(line, c))
            .or(self.pdm.line(line, c))
    }

    pub fn finish(&mut self, c: &mut Collector) {
        self.s2i.finish(c);
    }
}
