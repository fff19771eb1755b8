package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hubsync/hubsync/internal/store"
)

func (t *tx) CreateProperty(ctx context.Context, p store.Property) error {
	opts, err := json.Marshal(p.Options)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO properties (object_type, name, label, type, field_type,
		group_name, description, options, has_unique_value, display_order, created_at, updated_at, archived, archived_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ObjectType, p.Name, p.Label, p.Type, p.FieldType, p.GroupName, p.Description, string(opts),
		b2i(p.HasUniqueValue), p.DisplayOrder, ms(p.CreatedAt), ms(p.UpdatedAt), b2i(p.Archived), ms(p.ArchivedAt))
	return t.uniqueErr(err, fmt.Sprintf("property %s of %s", p.Name, p.ObjectType))
}

func (t *tx) UpdateProperty(ctx context.Context, p store.Property) error {
	opts, err := json.Marshal(p.Options)
	if err != nil {
		return err
	}
	res, err := t.exec(ctx, `UPDATE properties SET label = ?, type = ?, field_type = ?, group_name = ?,
		description = ?, options = ?, has_unique_value = ?, display_order = ?, updated_at = ?, archived = ?,
		archived_at = ? WHERE object_type = ? AND name = ?`,
		p.Label, p.Type, p.FieldType, p.GroupName, p.Description, string(opts), b2i(p.HasUniqueValue),
		p.DisplayOrder, ms(p.UpdatedAt), b2i(p.Archived), ms(p.ArchivedAt), p.ObjectType, p.Name)
	if err != nil {
		return err
	}
	return affectedOne(res, fmt.Sprintf("property %s of %s", p.Name, p.ObjectType))
}

// qProperties runs on every CRM call. Names are sorted in Go, by bytes,
// whatever the database's collation.
var qProperties = hot(`SELECT object_type, name, label, type, field_type, group_name,
	description, options, has_unique_value, display_order, created_at, updated_at, archived, archived_at
	FROM properties WHERE object_type = ?`)

func (t *tx) Properties(ctx context.Context, objectType string) ([]store.Property, error) {
	rows, err := t.cachedQuery(ctx, qProperties, objectType)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var props []store.Property
	for rows.Next() {
		var p store.Property
		var opts []byte
		var unique, archived int
		var created, updated, archivedAt int64
		if err := rows.Scan(&p.ObjectType, &p.Name, &p.Label, &p.Type, &p.FieldType, &p.GroupName,
			&p.Description, &opts, &unique, &p.DisplayOrder, &created, &updated, &archived, &archivedAt); err != nil {
			return nil, err
		}
		p.HasUniqueValue, p.Archived = unique != 0, archived != 0
		p.CreatedAt, p.UpdatedAt, p.ArchivedAt = fromMS(created), fromMS(updated), fromMS(archivedAt)
		if err := json.Unmarshal(opts, &p.Options); err != nil {
			return nil, fmt.Errorf("property %s options: %w", p.Name, err)
		}
		props = append(props, p)
	}
	slices.SortFunc(props, func(a, b store.Property) int { return strings.Compare(a.Name, b.Name) })
	return props, rows.Err()
}
