package wecom

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/channel"
	"github.com/scrmhq/scrm/internal/tenant"
	wecomplug "github.com/scrmhq/scrm/plugins/wecom"
)

// VerifyFile is the content of WeCom's domain verification file (可信域名:
// WW_verify_….txt, served at the root of scrm's host) of that name, as a
// workspace's wecom channel configured it (verifyFileName,
// verifyFileContent); ok is false when the name is not such a file's or no
// workspace configured it. The file is public by WeCom's design (anyone may
// fetch it from the domain), so any workspace's is served: the host is
// shared. When several configured the same name, the last configured wins.
func (s *Service) VerifyFile(ctx context.Context, name string) (content string, ok bool, err error) {
	if !wecomplug.VerifyFilePattern.MatchString(name) {
		return "", false, nil
	}
	// System: the request names no workspace; only the file's text is read.
	ch, err := s.Client.Channel.Query().Where(channel.Key(ChannelName), func(sel *sql.Selector) {
		sel.Where(sqljson.ValueEQ(channel.FieldConfig, name, sqljson.Path("verifyFileName")))
	}).Order(ent.Desc(channel.FieldUpdatedAt)).First(tenant.System(ctx))
	if ent.IsNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("wecom: verification file: %w", err)
	}
	content, _ = ch.Config["verifyFileContent"].(string)
	return content, content != "", nil
}
