import Foundation
import GRDB

/// The database schema, as versioned migrations. Never edit a registered migration: add a new one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: panels, reviewers, applicants, data, sheets, recusals, audit log") { db in
            try db.execute(sql: v1)
            // A sealed panel's rows cannot change, whatever code writes them.
            for t in sealedGuards {
                for (op, row) in [("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")] {
                    try db.execute(sql: """
                        CREATE TRIGGER \(t.table)_sealed_\(op.lowercased()) BEFORE \(op) ON \(t.table)
                        WHEN (\(sealOf(t, row))) IS NOT NULL
                        BEGIN SELECT RAISE(ABORT, 'pingshen:sealed'); END
                        """)
                }
            }
        }
        m.registerMigration("v2: sync") { db in
            try db.execute(sql: v2)
            // This database's device id: generated once, sent with every change it makes.
            try db.execute(sql: "INSERT INTO sync_device (id, device_id, created_at) VALUES (1, ?, ?)",
                           arguments: [UUID().uuidString.lowercased(), nowText()])
        }
        m.registerMigration("v3: one audit format shared with the server") { db in
            // Rows written before keep their form (canon 1); new rows use the shared form (canon 2), which
            // also covers the change id of a change that came through sync (docs/audit.md).
            try db.execute(sql: """
                ALTER TABLE audit ADD COLUMN change_id TEXT;
                ALTER TABLE audit ADD COLUMN canon INTEGER NOT NULL DEFAULT 1;
                """)
        }
        m.registerMigration("v4: sync conflicts and the release flag") { db in
            try db.execute(sql: """
                ALTER TABLE sync_state ADD COLUMN released INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE sync_conflict (
                    panel_id TEXT NOT NULL,
                    reviewer TEXT NOT NULL,
                    applicant TEXT NOT NULL,
                    round TEXT NOT NULL,
                    cell TEXT NOT NULL,
                    mine TEXT,
                    winner TEXT,
                    winner_by TEXT NOT NULL,
                    winner_at TEXT NOT NULL,
                    server_seq INTEGER NOT NULL,
                    noted_at TEXT NOT NULL,
                    PRIMARY KEY (panel_id, server_seq, cell)
                );
                """)
        }
        m.registerMigration("v5: expert pool, draws and assignments") { db in
            try db.execute(sql: v5)
            for table in ["applicant_profile", "draw", "draw_candidate", "draw_event", "assignment", "assignment_setting"] {
                for (op, row) in [("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")] {
                    try db.execute(sql: """
                        CREATE TRIGGER \(table)_sealed_\(op.lowercased()) BEFORE \(op) ON \(table)
                        WHEN (\(sealOf((table, false), row))) IS NOT NULL
                        BEGIN SELECT RAISE(ABORT, 'pingshen:sealed'); END
                        """)
                }
            }
        }
        m.registerMigration("v6: opinions and reservations") { db in
            try db.execute(sql: v6)
            for (op, row) in [("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")] {
                try db.execute(sql: """
                    CREATE TRIGGER opinion_sealed_\(op.lowercased()) BEFORE \(op) ON opinion
                    WHEN (\(sealOf(("opinion", false), row))) IS NOT NULL
                    BEGIN SELECT RAISE(ABORT, 'pingshen:sealed'); END
                    """)
            }
        }
        return m
    }

    /// Tables whose rows belong to a panel (directly, or through their sheet).
    static let sealedGuards: [(table: String, viaSheet: Bool)] = [
        ("panel_round", false), ("reviewer", false), ("applicant", false), ("applicant_value", false),
        ("applicant_note", false), ("recusal", false), ("sheet", false), ("sheet_point", true), ("sheet_note", true),
    ]

    /// SQL that reads the seal of the panel a trigger's row belongs to.
    static func sealOf(_ t: (table: String, viaSheet: Bool), _ row: String) -> String {
        t.viaSheet
            ? "SELECT p.sealed_at FROM sheet s JOIN panel p ON p.id = s.panel_id WHERE s.id = \(row).sheet_id"
            : "SELECT sealed_at FROM panel WHERE id = \(row).panel_id"
    }

    static let v1 = """
        CREATE TABLE panel (
            id TEXT NOT NULL PRIMARY KEY,
            rubric_id TEXT NOT NULL,
            title TEXT NOT NULL,
            round TEXT NOT NULL,
            variant TEXT,
            method TEXT,
            quorum INTEGER,
            view TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            sealed_at TEXT,
            sealed_by TEXT,
            seal_digest TEXT,
            seal_audit_head TEXT,
            audit_head TEXT NOT NULL,
            audit_count INTEGER NOT NULL DEFAULT 0
        );
        CREATE TRIGGER panel_sealed_update BEFORE UPDATE ON panel WHEN OLD.sealed_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'pingshen:sealed'); END;
        CREATE TRIGGER panel_sealed_delete BEFORE DELETE ON panel WHEN OLD.sealed_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'pingshen:sealed'); END;

        CREATE TABLE panel_round (
            panel_id TEXT NOT NULL REFERENCES panel(id),
            seq INTEGER NOT NULL,
            round TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            opened_by TEXT NOT NULL,
            PRIMARY KEY (panel_id, seq),
            UNIQUE (panel_id, round)
        );

        CREATE TABLE reviewer (
            panel_id TEXT NOT NULL REFERENCES panel(id),
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (panel_id, id)
        );

        CREATE TABLE applicant (
            panel_id TEXT NOT NULL REFERENCES panel(id),
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            industry TEXT,
            added_at TEXT NOT NULL,
            PRIMARY KEY (panel_id, id)
        );

        CREATE TABLE applicant_value (
            panel_id TEXT NOT NULL,
            applicant_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (panel_id, applicant_id, key),
            FOREIGN KEY (panel_id, applicant_id) REFERENCES applicant(panel_id, id)
        ) WITHOUT ROWID;

        CREATE TABLE applicant_note (
            panel_id TEXT NOT NULL,
            applicant_id TEXT NOT NULL,
            key TEXT NOT NULL,
            note TEXT NOT NULL,
            PRIMARY KEY (panel_id, applicant_id, key),
            FOREIGN KEY (panel_id, applicant_id) REFERENCES applicant(panel_id, id)
        ) WITHOUT ROWID;

        CREATE TABLE recusal (
            panel_id TEXT NOT NULL,
            reviewer_id TEXT NOT NULL,
            applicant_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            recused_at TEXT NOT NULL,
            recused_by TEXT NOT NULL,
            PRIMARY KEY (panel_id, reviewer_id, applicant_id),
            FOREIGN KEY (panel_id, reviewer_id) REFERENCES reviewer(panel_id, id),
            FOREIGN KEY (panel_id, applicant_id) REFERENCES applicant(panel_id, id)
        ) WITHOUT ROWID;

        CREATE TABLE sheet (
            id INTEGER PRIMARY KEY,
            panel_id TEXT NOT NULL,
            reviewer_id TEXT NOT NULL,
            applicant_id TEXT NOT NULL,
            round TEXT NOT NULL,
            submitted INTEGER NOT NULL DEFAULT 0 CHECK (submitted IN (0, 1)),
            submitted_at TEXT,
            updated_at TEXT NOT NULL,
            UNIQUE (panel_id, reviewer_id, applicant_id, round),
            FOREIGN KEY (panel_id, reviewer_id) REFERENCES reviewer(panel_id, id),
            FOREIGN KEY (panel_id, applicant_id) REFERENCES applicant(panel_id, id),
            FOREIGN KEY (panel_id, round) REFERENCES panel_round(panel_id, round)
        );

        CREATE TABLE sheet_point (
            sheet_id INTEGER NOT NULL REFERENCES sheet(id),
            leaf_id TEXT NOT NULL,
            points REAL NOT NULL,
            PRIMARY KEY (sheet_id, leaf_id)
        ) WITHOUT ROWID;

        CREATE TABLE sheet_note (
            sheet_id INTEGER NOT NULL REFERENCES sheet(id),
            leaf_id TEXT NOT NULL,
            note TEXT NOT NULL,
            PRIMARY KEY (sheet_id, leaf_id)
        ) WITHOUT ROWID;

        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            panel_id TEXT NOT NULL,
            pseq INTEGER NOT NULL,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            entity TEXT NOT NULL,
            field TEXT,
            old TEXT,
            new TEXT,
            reason TEXT,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            UNIQUE (panel_id, pseq)
        );
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'pingshen:audit-append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'pingshen:audit-append-only'); END;
        """

    /// The sync outbox and each linked panel's sync state (issue 5, docs/server.md "The client's sync").
    static let v2 = """
        CREATE TABLE sync_device (
            id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
            device_id TEXT NOT NULL,
            created_at TEXT NOT NULL
        );

        CREATE TABLE sync_state (
            panel_id TEXT NOT NULL PRIMARY KEY REFERENCES panel(id),
            server TEXT NOT NULL,
            role TEXT NOT NULL,
            identity TEXT NOT NULL,
            rubric_yaml TEXT,
            pull_cursor INTEGER NOT NULL DEFAULT 0,
            panel_version INTEGER,
            linked_at TEXT NOT NULL,
            last_sync_at TEXT
        );

        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            change_id TEXT NOT NULL UNIQUE,
            panel_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            reviewer TEXT NOT NULL,
            applicant TEXT NOT NULL,
            round TEXT NOT NULL,
            leaf TEXT,
            value REAL,
            note TEXT,
            reason TEXT,
            client_time TEXT NOT NULL,
            device TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'refused')),
            outcome TEXT,
            server_seq INTEGER,
            settled_at TEXT
        );
        CREATE INDEX outbox_state ON outbox (panel_id, state, seq);
        """

    /// The expert pool (the secretariat's, never synced), applicants' organizations and fields, draws with
    /// their candidate snapshots and events, and the assignment of reviewers to applicants (issue 11).
    static let v5 = """
        CREATE TABLE pool_expert (
            id TEXT NOT NULL PRIMARY KEY,
            name TEXT NOT NULL,
            organization TEXT NOT NULL,
            kind TEXT NOT NULL,
            fields TEXT NOT NULL DEFAULT '[]',
            title TEXT,
            region TEXT,
            available INTEGER NOT NULL DEFAULT 1 CHECK (available IN (0, 1)),
            ties TEXT NOT NULL DEFAULT '[]',
            updated_at TEXT NOT NULL
        );
        CREATE TABLE pool_import (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            file TEXT NOT NULL,
            digest TEXT NOT NULL,
            experts INTEGER NOT NULL,
            added INTEGER NOT NULL,
            changed INTEGER NOT NULL
        );
        CREATE TABLE applicant_profile (
            panel_id TEXT NOT NULL,
            applicant_id TEXT NOT NULL,
            organization TEXT,
            related TEXT NOT NULL DEFAULT '[]',
            field TEXT,
            PRIMARY KEY (panel_id, applicant_id),
            FOREIGN KEY (panel_id, applicant_id) REFERENCES applicant(panel_id, id)
        ) WITHOUT ROWID;
        CREATE TABLE draw (
            panel_id TEXT NOT NULL REFERENCES panel(id),
            seq INTEGER NOT NULL,
            seed TEXT NOT NULL,
            candidates_digest TEXT NOT NULL,
            rules TEXT NOT NULL,
            candidates INTEGER NOT NULL,
            reason TEXT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            PRIMARY KEY (panel_id, seq)
        );
        CREATE TABLE draw_candidate (
            panel_id TEXT NOT NULL,
            draw_seq INTEGER NOT NULL,
            pos INTEGER NOT NULL,
            expert_id TEXT NOT NULL,
            name TEXT NOT NULL,
            organization TEXT NOT NULL,
            kind TEXT NOT NULL,
            PRIMARY KEY (panel_id, draw_seq, pos),
            FOREIGN KEY (panel_id, draw_seq) REFERENCES draw(panel_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE draw_event (
            panel_id TEXT NOT NULL,
            draw_seq INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            event TEXT NOT NULL CHECK (event IN ('drawn', 'reserve', 'replaced')),
            expert_id TEXT NOT NULL,
            replacement TEXT,
            reason TEXT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            PRIMARY KEY (panel_id, draw_seq, seq),
            FOREIGN KEY (panel_id, draw_seq) REFERENCES draw(panel_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE assignment (
            panel_id TEXT NOT NULL,
            reviewer_id TEXT NOT NULL,
            applicant_id TEXT NOT NULL,
            origin TEXT NOT NULL CHECK (origin IN ('assign', 'hand')),
            added_at TEXT NOT NULL,
            added_by TEXT NOT NULL,
            PRIMARY KEY (panel_id, reviewer_id, applicant_id),
            FOREIGN KEY (panel_id, reviewer_id) REFERENCES reviewer(panel_id, id),
            FOREIGN KEY (panel_id, applicant_id) REFERENCES applicant(panel_id, id)
        ) WITHOUT ROWID;
        CREATE TABLE assignment_setting (
            panel_id TEXT NOT NULL PRIMARY KEY REFERENCES panel(id),
            per_applicant INTEGER NOT NULL,
            max_load INTEGER,
            seed TEXT NOT NULL,
            at TEXT NOT NULL,
            actor TEXT NOT NULL
        );
        """

    /// Opinions on applicants (issue 13): the panel's (`reviewer_id` '') and each reviewer's reservation.
    static let v6 = """
        CREATE TABLE opinion (
            panel_id TEXT NOT NULL REFERENCES panel(id),
            applicant_id TEXT NOT NULL,
            reviewer_id TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            PRIMARY KEY (panel_id, applicant_id, reviewer_id),
            FOREIGN KEY (panel_id, applicant_id) REFERENCES applicant(panel_id, id)
        ) WITHOUT ROWID;
        """
}
