package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/hubsync/hubsync/internal/store"
)

var errTODO = errors.New("not implemented yet")

var _ = time.Now

func (t *tx) CreateObjectSync(ctx context.Context, o store.ObjectSync) (store.ObjectSync, error) {
	return store.ObjectSync{}, errTODO
}

func (t *tx) ObjectSync(ctx context.Context, id int64) (store.ObjectSync, error) {
	return store.ObjectSync{}, errTODO
}

func (t *tx) ObjectSyncs(ctx context.Context, connectionID int64) ([]store.ObjectSync, error) {
	return nil, errTODO
}

func (t *tx) UpdateObjectSync(ctx context.Context, o store.ObjectSync) error { return errTODO }

func (t *tx) DeleteObjectSync(ctx context.Context, id int64) error { return errTODO }

func (t *tx) LinksByHubID(ctx context.Context, syncID int64, hubIDs []int64) ([]store.Link, error) {
	return nil, errTODO
}

func (t *tx) LinksByExternalID(ctx context.Context, syncID int64, externalIDs []string) ([]store.Link, error) {
	return nil, errTODO
}

func (t *tx) PutLinks(ctx context.Context, links []store.Link) error { return errTODO }

func (t *tx) CountLinks(ctx context.Context, syncID int64) (int, error) { return 0, errTODO }

func (t *tx) SyncCursor(ctx context.Context, syncID int64, side string) (string, error) {
	return "", errTODO
}

func (t *tx) SetSyncCursor(ctx context.Context, syncID int64, side, position string) error {
	return errTODO
}

func (t *tx) CreateSyncRun(ctx context.Context, r store.SyncRun) (store.SyncRun, error) {
	return store.SyncRun{}, errTODO
}

func (t *tx) UpdateSyncRun(ctx context.Context, r store.SyncRun) error { return errTODO }

func (t *tx) SyncRuns(ctx context.Context, connectionID int64, limit int) ([]store.SyncRun, error) {
	return nil, errTODO
}

func (t *tx) PutRecordError(ctx context.Context, e store.RecordError) (store.RecordError, error) {
	return store.RecordError{}, errTODO
}

func (t *tx) RecordErrors(ctx context.Context, connectionID int64, unresolved bool, limit int) ([]store.RecordError, error) {
	return nil, errTODO
}

func (t *tx) ResolveRecordError(ctx context.Context, id int64, at time.Time) error { return errTODO }
