package postgres

import "github.com/hubsync/hubsync/internal/connector"

var _ connector.Documented = (*Connector)(nil)

// Settings lists the connection settings the connector reads, with their
// defaults.
func (c *Connector) Settings() []connector.Setting {
	return []connector.Setting{
		{Name: ConfigTable, Default: connector.Required,
			Of: connector.OfConnection, Help: "the table to sync, as name or schema.name"},
		{Name: ConfigKeyColumn, Default: connector.Required,
			Of: connector.OfConnection, Help: "the column that identifies a row; it needs a unique index"},
		{Name: ConfigUpdatedColumn, Default: connector.Required,
			Of: connector.OfConnection, Help: "a timestamp column set whenever a row changes; changes are read by it"},
		{Name: ConfigDeletedColumn, Default: "none: archiving deletes the row",
			Of: connector.OfConnection, Help: "a boolean or timestamp column that marks a row deleted (soft delete)"},
		{Name: ConfigOriginColumn, Default: "none",
			Of: connector.OfConnection, Help: "a text column with a unique index where the hub keeps the idempotency key of rows it creates, so a create replayed after a crash updates its row"},
		{Name: ConfigInstallTrigger, Default: "false",
			Of: connector.OfConnection, Help: "true installs a trigger that sets the updated column on every INSERT and UPDATE, so changes made by any SQL are seen"},
		{Name: ConfigCreateIndex, Default: "false",
			Of: connector.OfConnection, Help: "true creates the index on (updated column, key column) that changes are read by, and one on lower(column) of a text column records are matched by"},
		{Name: ConfigCommitLag, Default: DefaultCommitLag.String(),
			Of: connector.OfConnection, Help: "how far behind the database's clock changes are read when rows are stamped by applications (no trigger) or by a role whose transactions the sync user cannot see, so rows committed late are not missed; with the trigger the sync waits only for writers in flight"},
	}
}
