package lineage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Config holds the service's limits and defaults.
type Config struct {
	ServerArtifactPath  string // --artifact-path; may be empty
	DefaultArtifactPath string // used when nothing else is set: <data-dir>/artifacts/{{project}}
	MaxUploadBytes      int64  // per upload or body; <= 0 means no limit
	MaxLineageDepth     int    // deepest lineage/impact query allowed
	DefaultLineageLimit int    // node limit when none is asked
	MaxLineageLimit     int    // largest node limit allowed
	DefaultPageSize     int
	MaxPageSize         int
	// BlobRoots are the locations (absolute directories, file:/// or gs://
	// prefixes) content is written, served, deleted and collected under;
	// empty means the roots of DefaultArtifactPath and ServerArtifactPath.
	// They are configuration: no request widens them.
	BlobRoots []string
}

// DefaultConfig returns the limits the server starts with.
func DefaultConfig() Config {
	return Config{
		MaxUploadBytes:      1 << 30,
		MaxLineageDepth:     10,
		DefaultLineageLimit: 500,
		MaxLineageLimit:     10000,
		DefaultPageSize:     50,
		MaxPageSize:         1000,
	}
}

// Service enforces Artigraph's rules (validation, versioning, tags, artifact
// paths, blob-then-metadata ordering) on top of a Store and Blobs.
type Service struct {
	Store  Store
	Blobs  Blobs
	Config Config
	Now    func() time.Time
	// Events receives every newly committed version.
	Events Broker

	uploadsMu    sync.Mutex
	uploads      map[string]*pendingUpload
	uploadsBytes int64

	// contentMu serialises what reads or changes who points at stored
	// content (logs in place, deletions), so a deletion's check that no
	// surviving version points at a blob cannot race a new reference.
	contentMu sync.Mutex
}

// NewService returns a Service with the given parts.
func NewService(store Store, blobs Blobs, cfg Config) *Service {
	return &Service{Store: store, Blobs: blobs, Config: cfg, Now: func() time.Time { return time.Now().UTC() }}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// NewUID returns a random 32-hex-digit uid for runs.
func NewUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ---- projects ----

// UpsertProject creates or updates a project.
func (s *Service) UpsertProject(ctx context.Context, p Project) (Project, error) {
	if err := ValidateProjectName(p.Name); err != nil {
		return Project{}, err
	}
	if p.ArtifactPath != "" {
		if err := s.checkArtifactPath(p.ArtifactPath); err != nil {
			return Project{}, err
		}
	}
	if err := validateLabels(p.Labels); err != nil {
		return Project{}, err
	}
	if err := validateDescription(p.Description); err != nil {
		return Project{}, err
	}
	p.CreatedAt = s.now()
	return s.Store.UpsertProject(ctx, p)
}

// Project returns the named project or ENOTFOUND.
func (s *Service) Project(ctx context.Context, name string) (Project, error) {
	if err := ValidateProjectName(name); err != nil {
		return Project{}, err
	}
	p, err := s.Store.GetProject(ctx, name)
	if ErrorCode(err) == ENOTFOUND {
		return Project{}, Errorf(ENOTFOUND, "project %q does not exist", name)
	}
	return p, err
}

// ---- runs ----

// StartRunRequest is what a job sends when it starts.
type StartRunRequest struct {
	Project, Name, UID, User, Pipeline, ArtifactPath string
	Labels                                           []Label
	Inputs                                           []string // store URIs
}

// StartRun records a run and what it consumes. Starting a run again with the
// same uid and name returns the recorded run, so a job may retry.
func (s *Service) StartRun(ctx context.Context, req StartRunRequest) (Run, error) {
	proj, err := s.Project(ctx, req.Project)
	if err != nil {
		return Run{}, err
	}
	if err := validateName("run name", req.Name); err != nil {
		return Run{}, err
	}
	if req.UID == "" {
		req.UID = NewUID()
	} else if err := validateName("run uid", req.UID); err != nil {
		return Run{}, err
	}
	if req.Pipeline != "" {
		if err := validateName("pipeline", req.Pipeline); err != nil {
			return Run{}, err
		}
	}
	if err := validateLabels(req.Labels); err != nil {
		return Run{}, err
	}
	if req.ArtifactPath != "" {
		if err := s.checkArtifactPath(req.ArtifactPath); err != nil {
			return Run{}, err
		}
	}
	if len(req.User) > MaxLabelValueLen {
		return Run{}, Errorf(ELIMIT, "the run's user may be at most %d bytes", MaxLabelValueLen)
	}
	if len(req.Inputs) > MaxSources {
		return Run{}, Errorf(ELIMIT, "at most %d inputs may be given, not %d", MaxSources, len(req.Inputs))
	}
	inputs := make([]string, 0, len(req.Inputs))
	for _, in := range req.Inputs {
		v, _, err := s.Resolve(ctx, in)
		if err != nil {
			return Run{}, inputError("input", in, err)
		}
		inputs = append(inputs, v.UID)
	}
	path, err := ArtifactPathChoice{Call: req.ArtifactPath, Project: proj.ArtifactPath,
		Server: s.Config.ServerArtifactPath, Default: s.Config.DefaultArtifactPath}.Resolve(proj.Name, req.UID)
	if err != nil {
		return Run{}, err
	}
	r := Run{Project: proj.Name, UID: req.UID, Name: req.Name, State: RunRunning, User: req.User,
		Pipeline: req.Pipeline, ArtifactPath: path, Labels: req.Labels, StartedAt: s.now()}
	created, err := s.Store.CreateRun(ctx, r, Dedupe(inputs))
	if ErrorCode(err) == ECONFLICT {
		old, gerr := s.Run(ctx, r.Key())
		if gerr == nil && old.Name == r.Name {
			return old, nil
		}
		return Run{}, Errorf(ECONFLICT, "run %s/%s already exists with another name", r.Project, r.UID)
	}
	return created, err
}

// Run returns one run or ENOTFOUND.
func (s *Service) Run(ctx context.Context, key RunKey) (Run, error) {
	rs, err := s.Store.GetRuns(ctx, []RunKey{key})
	if err != nil {
		return Run{}, err
	}
	if len(rs) == 0 {
		return Run{}, Errorf(ENOTFOUND, "run %s/%s does not exist", key.Project, key.UID)
	}
	return rs[0], nil
}

// FinishRun ends a run. Finishing it again in the same state is a no-op; a
// finished run cannot change state.
func (s *Service) FinishRun(ctx context.Context, key RunKey, state RunState) (Run, error) {
	if !state.Valid() || state == RunRunning {
		return Run{}, Errorf(EINVALID, "a run finishes as COMPLETED, FAILED or ABORTED, not %q", state)
	}
	r, err := s.Run(ctx, key)
	if err != nil {
		return Run{}, err
	}
	if r.State == state {
		return r, nil
	}
	if r.State != RunRunning {
		return Run{}, Errorf(ECONFLICT, "run %s/%s already finished as %s", key.Project, key.UID, r.State)
	}
	return s.Store.FinishRun(ctx, key, state, s.now())
}

// ListRuns pages through a project's runs, newest first.
func (s *Service) ListRuns(ctx context.Context, project string, page Page) (RunPage, error) {
	if _, err := s.Project(ctx, project); err != nil {
		return RunPage{}, err
	}
	page, err := s.page(page)
	if err != nil {
		return RunPage{}, err
	}
	return s.Store.ListRuns(ctx, project, page)
}

// ---- versions ----

// LogRequest is one log call: metadata plus at most one content source.
type LogRequest struct {
	Project, Key string
	Kind         Kind
	RunUID       string
	Iteration    int
	Tag          string
	Labels       []Label
	Description  string
	Sources      []string // store URIs or external URLs
	ArtifactPath string
	TargetPath   string // data in place: nothing is uploaded
	Body         *string
	Content      io.Reader // an upload; nil when none
	Format       string
	Links        []LinkRequest
	Dataset      *DatasetInfo
	Model        *ModelInfo
	Extra        json.RawMessage
	// Producer overrides the derived producer (used by import).
	Producer *Producer
	// KnownSize and KnownHash describe data in place (with TargetPath), as
	// an import carries them; the hash is checked when the content is readable.
	KnownSize *int64
	KnownHash string

	streamed bool // content comes later, through an upload ticket
}

// LinkRequest points at another version by URI.
type LinkRequest struct{ Relation, URI string }

var formatRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)

// LogArtifact records a version. Everything is validated first; content is
// then written to the target path, and only after it is durable is the
// version committed, so metadata never points at a missing blob.
func (s *Service) LogArtifact(ctx context.Context, req LogRequest) (Version, error) {
	p, err := s.prepareLog(ctx, req)
	if err != nil {
		return Version{}, err
	}
	return s.commitLog(ctx, p)
}

// preparedLog is a validated log call, ready to write.
type preparedLog struct {
	version    Version
	content    io.Reader
	sourceUIDs []string
	links      []Link
	tags       []string
}

// prepareLog validates a log call and works out its version, without
// writing anything.
func (s *Service) prepareLog(ctx context.Context, req LogRequest) (preparedLog, error) {
	proj, err := s.Project(ctx, req.Project)
	if err != nil {
		return preparedLog{}, err
	}
	if err := ValidateKey(req.Key); err != nil {
		return preparedLog{}, err
	}
	if !req.Kind.Valid() {
		return preparedLog{}, Errorf(EINVALID, "unknown kind %q", req.Kind)
	}
	if req.Iteration < 0 {
		return preparedLog{}, Errorf(EINVALID, "iteration must not be negative")
	}
	if req.Tag != "" {
		if err := ValidateTag(req.Tag); err != nil || req.Tag == "*" {
			return preparedLog{}, Errorf(EINVALID, "invalid tag %q", req.Tag)
		}
	}
	if req.Format != "" && !formatRe.MatchString(req.Format) {
		return preparedLog{}, Errorf(EINVALID, "invalid format %q", req.Format)
	}
	if err := validateLabels(req.Labels); err != nil {
		return preparedLog{}, err
	}
	if err := validateLogSize(req); err != nil {
		return preparedLog{}, err
	}
	if len(req.Extra) > 0 && !json.Valid(req.Extra) {
		return preparedLog{}, Errorf(EINVALID, "extra is not valid JSON")
	}
	content := req.Content
	if req.Body != nil {
		if content != nil {
			return preparedLog{}, Errorf(EINVALID, "give body or file, not both")
		}
		if s.Config.MaxUploadBytes > 0 && int64(len(*req.Body)) > s.Config.MaxUploadBytes {
			return preparedLog{}, Errorf(ELIMIT, "body is larger than the upload limit of %d bytes", s.Config.MaxUploadBytes)
		}
		content = strings.NewReader(*req.Body)
	}
	if req.TargetPath != "" && content != nil {
		return preparedLog{}, Errorf(EINVALID, "targetPath names data already in place: give no body or file with it")
	}
	if req.TargetPath == "" && content == nil && !req.streamed {
		return preparedLog{}, Errorf(EINVALID, "give the content (body or file) or the targetPath of data already in place")
	}

	var run *Run
	if req.RunUID != "" {
		r, err := s.Run(ctx, RunKey{Project: proj.Name, UID: req.RunUID})
		if err != nil {
			return preparedLog{}, err
		}
		run = &r
	}
	var sourceUIDs, external []string
	for _, src := range req.Sources {
		if strings.HasPrefix(src, "store://") {
			v, _, err := s.Resolve(ctx, src)
			if err != nil {
				return preparedLog{}, inputError("source", src, err)
			}
			sourceUIDs = append(sourceUIDs, v.UID)
		} else if IsURL(src) || strings.HasPrefix(src, "/") {
			external = append(external, src)
		} else {
			return preparedLog{}, Errorf(EINVALID, "source %q is neither a store:// URI nor a URL", src)
		}
	}
	var links []Link
	for _, l := range req.Links {
		if err := validateName("link relation", l.Relation); err != nil {
			return preparedLog{}, err
		}
		v, _, err := s.Resolve(ctx, l.URI)
		if err != nil {
			return preparedLog{}, inputError("link", l.URI, err)
		}
		links = append(links, Link{Relation: l.Relation, UID: v.UID})
	}

	target := req.TargetPath
	if target == "" {
		choice := ArtifactPathChoice{Call: req.ArtifactPath, Project: proj.ArtifactPath,
			Server: s.Config.ServerArtifactPath, Default: s.Config.DefaultArtifactPath}
		runUID := ""
		if run != nil {
			choice.Run = run.ArtifactPath
			runUID = run.UID
		}
		path, err := choice.Resolve(proj.Name, runUID)
		if err != nil {
			return preparedLog{}, err
		}
		target = TargetPath(path, req.Key, req.Format, run, req.Iteration)
		if err := ValidateArtifactPath(target); err != nil {
			return preparedLog{}, err
		}
		// Content is only ever written inside the configured roots.
		if err := s.checkWritable(target); err != nil {
			return preparedLog{}, err
		}
	} else if err := ValidateArtifactPath(target); err != nil {
		return preparedLog{}, err
	}

	now := s.now()
	v := Version{
		Project: proj.Name, Key: req.Key, Kind: req.Kind, Iteration: req.Iteration,
		Labels: req.Labels, Description: req.Description, CreatedAt: now, UpdatedAt: now,
		TargetPath: target, Format: req.Format, ExternalSources: external,
		Dataset: req.Dataset, Model: req.Model, Extra: req.Extra,
		Producer: Producer{Kind: "project", Name: proj.Name},
	}
	if run != nil {
		k := run.Key()
		v.Run, v.Tree, v.Owner = &k, run.UID, run.User
		v.Producer = Producer{Kind: "run", Name: run.Name, URI: run.Project + "/" + run.UID, Owner: run.User}
	}
	if req.Producer != nil {
		v.Producer = *req.Producer
		v.Owner = req.Producer.Owner
	}
	if content == nil {
		v.Size, v.Hash = req.KnownSize, req.KnownHash
	}
	var tags []string
	if req.Tag != "" && req.Tag != TagLatest {
		tags = []string{req.Tag}
	}
	return preparedLog{version: v, content: content, sourceUIDs: Dedupe(sourceUIDs), links: links, tags: tags}, nil
}

// commitLog writes the content, then the version: a failed write leaves no
// version behind, and a version never points at content not yet durable.
// Stored content goes where the blob store put it (a fresh location when
// the target was taken, so nothing is ever replaced); a call that ends up
// writing no new version removes the blob it wrote, so it leaves neither
// an orphan nor a version behind.
func (s *Service) commitLog(ctx context.Context, p preparedLog) (Version, error) {
	v := p.version
	w := VersionWrite{Tags: p.tags, Sources: p.sourceUIDs, Links: p.links}
	if p.content == nil {
		// Data in place. The hash is checked first, unlocked, as it reads the
		// whole content; the commit is serialised with deletions (which check
		// references) and checks again that the content is still there.
		if err := s.verifyInPlace(ctx, v.TargetPath, v.Hash); err != nil {
			return Version{}, err
		}
		s.contentMu.Lock()
		defer s.contentMu.Unlock()
		if err := s.verifyInPlace(ctx, v.TargetPath, ""); err != nil {
			return Version{}, err
		}
		v.UID = versionUID(v, p.sourceUIDs, p.links)
		w.Version = v
		out, created, err := s.Store.PutVersion(ctx, w)
		if err == nil && created {
			s.Events.Publish(out)
		}
		return out, err
	}
	info, err := s.Blobs.Put(ctx, v.TargetPath, p.content, s.Config.MaxUploadBytes)
	if err != nil {
		return Version{}, err
	}
	if info.Location == "" {
		info.Location = v.TargetPath
	}
	v.Size, v.Hash, v.Stored = &info.Size, info.Hash, true
	// The uid comes from the content, not where it landed: an identical
	// retry lands elsewhere but is the same version.
	v.UID = versionUID(v, p.sourceUIDs, p.links)
	v.TargetPath = info.Location
	w.Version = v
	out, created, err := s.Store.PutVersion(ctx, w)
	if err != nil || !created {
		// The blob just written belongs to no version: take it back. Should
		// that fail too, it is an orphan gc collects.
		if info.Location != out.TargetPath {
			_ = s.Blobs.Delete(context.WithoutCancel(ctx), info.Location)
		}
		return out, err
	}
	s.Events.Publish(out)
	return out, nil
}

// verifyInPlace checks that content this server may read at target (inside
// its blob roots) exists and has the expected hash, if one is given; a
// deletion may just have removed it. Anything outside the roots is
// taken on trust and never read: it may be anybody's file. Content known
// to be missing is refused. The message never tells the actual hash, which
// would make this a way to learn the hash of any file.
func (s *Service) verifyInPlace(ctx context.Context, target, hash string) error {
	if !s.InRoots(target) {
		return nil
	}
	b, err := s.Blobs.Open(ctx, target)
	switch ErrorCode(err) {
	case "":
	case ENOTFOUND:
		return Errorf(ENOTFOUND, "no content at %s", target)
	case EINVALID, EFORBIDDEN:
		return nil
	default:
		return err
	}
	defer b.Close()
	if hash == "" {
		return nil
	}
	got, err := hashOf(b)
	if err != nil {
		return err
	}
	if got != hash {
		return Errorf(EINVALID, "the content at %s does not match the hash the document gives", target)
	}
	return nil
}

func hashOf(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// versionUID derives a version's uid from what makes it that version: its
// identity (project, key, kind, iteration), its producer and its content
// (the hash of stored content, the location of data in place, type-specific
// spec, sources, links). Labels, tags and description are metadata: an
// identical retry returns the same uid.
func versionUID(v Version, sources []string, links []Link) string {
	sorted := slices.Clone(sources)
	slices.Sort(sorted)
	ls := slices.Clone(links)
	sort.Slice(ls, func(i, j int) bool { return ls[i].Relation+ls[i].UID < ls[j].Relation+ls[j].UID })
	location := v.TargetPath
	if v.Stored {
		location = "" // data in place always has one, so the two never collide
	}
	ident, _ := json.Marshal([]any{v.Project, v.Key, v.Kind, v.Iteration, v.Producer.Kind, v.Producer.URI,
		v.Hash, location, v.Format, v.Dataset, v.Model, v.Extra, sorted, v.ExternalSources, ls})
	sum := sha256.Sum256(ident)
	return hex.EncodeToString(sum[:16])
}

// Resolve finds the version a store:// URI names. It returns the URI too,
// whose Tag is the tag asked for.
func (s *Service) Resolve(ctx context.Context, uri string) (Version, URI, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return Version{}, URI{}, err
	}
	if u.Tag == "*" {
		return Version{}, u, Errorf(EINVALID, "%q names every version; name one", uri)
	}
	vs, err := s.resolve(ctx, u, 1)
	if err != nil {
		return Version{}, u, err
	}
	if len(vs) == 0 {
		return Version{}, u, Errorf(ENOTFOUND, "no artifact version matches %s", uri)
	}
	return vs[0], u, nil
}

// resolve lists up to max versions u names (max <= 0: all), newest first.
func (s *Service) resolve(ctx context.Context, u URI, max int) ([]Version, error) {
	match := func(v Version) bool {
		return v.Project == u.Project && v.Key == u.Key && v.Kind.MatchesPrefix(u.Prefix) &&
			(u.Iteration == nil || v.Iteration == *u.Iteration) &&
			(u.Tree == "" || v.Tree == u.Tree) &&
			(u.Tag == "" || u.Tag == "*" || v.HasTag(u.Tag))
	}
	if u.UID != "" {
		vs, err := s.Store.GetVersions(ctx, []string{u.UID})
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(vs, func(v Version) bool { return !match(v) }), nil
	}
	f := VersionFilter{Key: u.Key, Tree: u.Tree, Tag: u.Tag, Iteration: u.Iteration}
	if u.Tag == "*" {
		f.Tag = ""
	} else if u.Tag == "" && u.Tree == "" {
		f.Tag = TagLatest
	}
	if u.Prefix != PrefixArtifacts {
		f.Kind = kindOfPrefix(u.Prefix)
	}
	if f.Iteration == nil && max == 1 {
		// Without #iteration, a URI names iteration 0 when it exists (MLRun's
		// parent iteration), else the newest match of any iteration.
		zero := 0
		f.Iteration = &zero
		vs, err := s.collect(ctx, u.Project, f, 1)
		if err != nil || len(vs) > 0 {
			return vs, err
		}
		f.Iteration = nil
	}
	return s.collect(ctx, u.Project, f, max)
}

func kindOfPrefix(p string) Kind {
	for _, k := range Kinds {
		if k.Prefix() == p {
			return k
		}
	}
	return ""
}

// collect pages through ListVersions until max versions (max <= 0: all).
func (s *Service) collect(ctx context.Context, project string, f VersionFilter, max int) ([]Version, error) {
	var out []Version
	page := Page{First: 1000}
	if max > 0 && max < page.First {
		page.First = max
	}
	for {
		p, err := s.Store.ListVersions(ctx, project, f, page)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Versions...)
		if !p.HasNext || (max > 0 && len(out) >= max) {
			return out, nil
		}
		page.After = p.EndCursor
	}
}

// ListArtifacts pages through a project's versions matching f.
func (s *Service) ListArtifacts(ctx context.Context, project string, f VersionFilter, page Page) (VersionPage, error) {
	if _, err := s.Project(ctx, project); err != nil {
		return VersionPage{}, err
	}
	if err := f.Validate(); err != nil {
		return VersionPage{}, err
	}
	page, err := s.page(page)
	if err != nil {
		return VersionPage{}, err
	}
	return s.Store.ListVersions(ctx, project, f, page)
}

func (s *Service) page(p Page) (Page, error) {
	switch {
	case p.First < 0:
		return p, p.Validate()
	case p.First == 0:
		p.First = s.Config.DefaultPageSize
	case s.Config.MaxPageSize > 0 && p.First > s.Config.MaxPageSize:
		return p, Errorf(ELIMIT, "first may be at most %d", s.Config.MaxPageSize)
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	return p, nil
}

// TagArtifact gives the version uri names the tag, moving it from any other
// version of the same key and iteration.
func (s *Service) TagArtifact(ctx context.Context, uri, tag string) (Version, error) {
	if err := ValidateTag(tag); err != nil || tag == "*" {
		return Version{}, Errorf(EINVALID, "invalid tag %q", tag)
	}
	v, _, err := s.Resolve(ctx, uri)
	if err != nil {
		return Version{}, err
	}
	return s.Store.TagVersion(ctx, v.UID, tag, s.now())
}

// UntagArtifact removes a tag from the version uri names.
func (s *Service) UntagArtifact(ctx context.Context, uri, tag string) (Version, error) {
	if err := ValidateTag(tag); err != nil || tag == "*" {
		return Version{}, Errorf(EINVALID, "invalid tag %q", tag)
	}
	v, _, err := s.Resolve(ctx, uri)
	if err != nil {
		return Version{}, err
	}
	return s.Store.UntagVersion(ctx, v.UID, tag, s.now())
}

// LinkArtifacts records that from points to to with a relation ("chart", …).
func (s *Service) LinkArtifacts(ctx context.Context, from, to, relation string) (Version, error) {
	if err := validateName("link relation", relation); err != nil {
		return Version{}, err
	}
	f, _, err := s.Resolve(ctx, from)
	if err != nil {
		return Version{}, err
	}
	t, _, err := s.Resolve(ctx, to)
	if err != nil {
		return Version{}, inputError("link target", to, err)
	}
	return s.Store.AddLink(ctx, f.UID, Link{Relation: relation, UID: t.UID}, s.now())
}

// DeletionStrategy says what happens to content when versions are deleted.
type DeletionStrategy string

const (
	MetadataOnly DeletionStrategy = "METADATA_ONLY" // keep the blob
	DataOptional DeletionStrategy = "DATA_OPTIONAL" // try to delete the blob
	DataForce    DeletionStrategy = "DATA_FORCE"    // delete the blob or fail and keep the record
)

// DeleteArtifact deletes the versions uri names: one version, every version
// of a tree (@tree without tag or uid), or every version of the key (:*).
// It returns how many were removed.
func (s *Service) DeleteArtifact(ctx context.Context, uri string, strategy DeletionStrategy) (int, error) {
	res, err := s.DeleteArtifactVersions(ctx, uri, strategy)
	return res.Removed, err
}

// DeleteResult says what a deletion did: how many versions it removed, and
// notices for the caller about content it kept or could not remove.
type DeleteResult struct {
	Removed int
	Notices []string
}

// DeleteArtifactVersions is DeleteArtifact with notices. Content is deleted
// only when Artigraph stored it, inside the blob roots, and no surviving
// version of any project points at it; data logged in place is always kept
// (METADATA_ONLY, whatever the strategy). Everything is checked before
// anything is deleted, then the versions' records go first and their blobs
// after: a failure leaves either every version, or no version pointing at
// missing content (a blob that could not be removed is an orphan gc
// collects).
func (s *Service) DeleteArtifactVersions(ctx context.Context, uri string, strategy DeletionStrategy) (DeleteResult, error) {
	if strategy == "" {
		strategy = MetadataOnly
	}
	if strategy != MetadataOnly && strategy != DataOptional && strategy != DataForce {
		return DeleteResult{}, Errorf(EINVALID, "unknown deletion strategy %q", strategy)
	}
	u, err := ParseURI(uri)
	if err != nil {
		return DeleteResult{}, err
	}
	max := 1
	if u.Tag == "*" || (u.Tree != "" && u.Tag == "" && u.UID == "") {
		max = 0
	}
	s.contentMu.Lock()
	defer s.contentMu.Unlock()
	vs, err := s.resolve(ctx, u, max)
	if err != nil {
		return DeleteResult{}, err
	}
	if len(vs) == 0 {
		return DeleteResult{}, Errorf(ENOTFOUND, "no artifact version matches %s", uri)
	}
	uids := make([]string, 0, len(vs))
	for _, v := range vs {
		uids = append(uids, v.UID)
	}
	var res DeleteResult
	var blobs []string
	if strategy != MetadataOnly {
		blobs, res.Notices, err = s.blobsToDelete(ctx, vs, strategy)
		if err != nil {
			return DeleteResult{}, err
		}
	}
	res.Removed, err = s.Store.DeleteVersions(ctx, uids)
	if err != nil {
		return DeleteResult{}, err
	}
	for _, loc := range blobs {
		if err := s.Blobs.Delete(context.WithoutCancel(ctx), loc); err != nil && ErrorCode(err) != ENOTFOUND {
			res.Notices = append(res.Notices, fmt.Sprintf("the content at %s could not be deleted; garbage collection will remove it", loc))
		}
	}
	return res, nil
}

// blobsToDelete decides, before anything is deleted, which blobs of vs go:
// those Artigraph stored, inside the roots, that no other version of any
// project points at (data in place counts, even if deleted now). With DataForce, a blob that cannot be
// deleted fails the whole deletion, so nothing is deleted.
func (s *Service) blobsToDelete(ctx context.Context, vs []Version, strategy DeletionStrategy) (locs, notices []string, err error) {
	projects, err := s.Store.ListProjects(ctx)
	if err != nil {
		return nil, nil, err
	}
	// Versions logged in place keep their location even while they are
	// deleted with it: only stored versions being deleted give a blob up.
	var stored []string
	for _, v := range vs {
		if v.Stored {
			stored = append(stored, v.UID)
		}
	}
	seen := map[string]bool{}
	for _, v := range vs {
		if !v.Stored {
			notices = append(notices, fmt.Sprintf("the content of %s was logged in place and was kept", CanonicalURI(v, "")))
			continue
		}
		loc := normalLocation(v.TargetPath)
		if seen[loc] {
			continue
		}
		seen[loc] = true
		if !s.InRoots(v.TargetPath) {
			if strategy == DataForce {
				return nil, nil, Errorf(EFORBIDDEN, "the content of %s is outside the blob roots this server may delete from; nothing was deleted", CanonicalURI(v, ""))
			}
			notices = append(notices, fmt.Sprintf("the content of %s is outside the blob roots and was kept", CanonicalURI(v, "")))
			continue
		}
		shared, err := s.referencedElsewhere(ctx, projects, v.TargetPath, stored)
		if err != nil {
			return nil, nil, err
		}
		if shared {
			notices = append(notices, fmt.Sprintf("the content of %s is still used by another version and was kept", CanonicalURI(v, "")))
			continue
		}
		if strategy == DataForce {
			// Deletable means present and readable here; anything else stops
			// the deletion before it starts.
			b, err := s.Blobs.Open(ctx, v.TargetPath)
			switch ErrorCode(err) {
			case "":
				b.Close()
			case ENOTFOUND:
			case EINTERNAL:
				return nil, nil, Errorf(EUNAVAILABLE, "could not reach the content of %s; nothing was deleted", CanonicalURI(v, ""))
			default:
				return nil, nil, err
			}
		}
		locs = append(locs, v.TargetPath)
	}
	return locs, notices, nil
}

// referencedElsewhere reports whether a version not in deleting, in any
// project, points at location (in either spelling, /x or file:///x).
func (s *Service) referencedElsewhere(ctx context.Context, projects []Project, location string, deleting []string) (bool, error) {
	spellings := []string{location}
	if n := normalLocation(location); n != location {
		spellings = append(spellings, n)
	} else if strings.HasPrefix(location, "/") {
		spellings = append(spellings, "file://"+location)
	}
	for _, p := range projects {
		for _, loc := range spellings {
			others, err := s.collect(ctx, p.Name, VersionFilter{TargetPath: loc}, 0)
			if err != nil {
				return false, err
			}
			if slices.ContainsFunc(others, func(o Version) bool { return !slices.Contains(deleting, o.UID) }) {
				return true, nil
			}
		}
	}
	return false, nil
}

// ---- lineage ----

// ParseNodeID reads a lineage node id: a store:// URI or "run:<project>/<uid>".
func (s *Service) ParseNodeID(ctx context.Context, id string) (NodeRef, error) {
	if rest, ok := strings.CutPrefix(id, "run:"); ok {
		project, uid, _ := strings.Cut(rest, "/")
		r, err := s.Run(ctx, RunKey{Project: project, UID: uid})
		if err != nil {
			return NodeRef{}, err
		}
		return RunNode(r.Key()), nil
	}
	v, _, err := s.Resolve(ctx, id)
	if err != nil {
		return NodeRef{}, err
	}
	return VersionNode(v), nil
}

// RunNodeID is a run's lineage node id.
func RunNodeID(k RunKey) string { return "run:" + k.Project + "/" + k.UID }

// Both asks Lineage for upstream and downstream at once.
const Both Direction = "BOTH"

// Lineage answers a lineage query from a node id. BOTH is the union of the
// upstream and downstream answers, sharing one node limit.
func (s *Service) Lineage(ctx context.Context, id string, dir Direction, depth, limit *int) (Graph, error) {
	d, l, err := s.bounds(depth, limit)
	if err != nil {
		return Graph{}, err
	}
	start, err := s.ParseNodeID(ctx, id)
	if err != nil {
		return Graph{}, err
	}
	if dir != Both {
		return s.Store.Lineage(ctx, LineageQuery{Start: start, Direction: dir, Depth: d, Limit: l})
	}
	up, err := s.Store.Lineage(ctx, LineageQuery{Start: start, Direction: Upstream, Depth: d, Limit: l})
	if err != nil {
		return Graph{}, err
	}
	down, err := s.Store.Lineage(ctx, LineageQuery{Start: start, Direction: Downstream, Depth: d, Limit: l - len(up.Nodes) + 1})
	if err != nil {
		return Graph{}, err
	}
	g := Graph{Nodes: append(up.Nodes, down.Nodes[1:]...), Edges: append(up.Edges, down.Edges...),
		Truncated: up.Truncated || down.Truncated}
	slices.SortStableFunc(g.Nodes, func(a, b GraphNode) int {
		if a.Depth != b.Depth {
			return a.Depth - b.Depth
		}
		return compareNodes(a.Ref, b.Ref)
	})
	SortEdges(g.Edges)
	return g, nil
}

func (s *Service) bounds(depth, limit *int) (int, int, error) {
	d, l := s.Config.MaxLineageDepth, s.Config.DefaultLineageLimit
	if depth != nil {
		d = *depth
	}
	if limit != nil {
		l = *limit
	}
	switch {
	case d < 0:
		return 0, 0, Errorf(EINVALID, "depth must not be negative")
	case d > s.Config.MaxLineageDepth:
		return 0, 0, Errorf(ELIMIT, "depth may be at most %d", s.Config.MaxLineageDepth)
	case l < 1:
		return 0, 0, Errorf(EINVALID, "limit must be at least 1")
	case l > s.Config.MaxLineageLimit:
		return 0, 0, Errorf(ELIMIT, "limit may be at most %d", s.Config.MaxLineageLimit)
	}
	return d, l, nil
}

// Impact lists what depends on a version: every version and run downstream,
// and the pipelines those runs belong to.
type Impact struct {
	Versions  []string // uids
	Runs      []RunKey
	Pipelines []PipelineKey
	Truncated bool
}

// PipelineKey names a pipeline: its id within a project.
type PipelineKey struct{ Project, ID string }

// Impact answers "what breaks if this changes".
func (s *Service) Impact(ctx context.Context, uri string, depth, limit *int) (Impact, error) {
	g, err := s.Lineage(ctx, uri, Downstream, depth, limit)
	if err != nil {
		return Impact{}, err
	}
	out := Impact{Truncated: g.Truncated}
	for _, n := range g.Nodes[1:] {
		switch n.Ref.Type {
		case NodeArtifact:
			out.Versions = append(out.Versions, n.Ref.UID)
		case NodeRun:
			out.Runs = append(out.Runs, RunKey{Project: n.Ref.Project, UID: n.Ref.UID})
		}
	}
	runs, err := s.Store.GetRuns(ctx, out.Runs)
	if err != nil {
		return Impact{}, err
	}
	seen := map[PipelineKey]bool{}
	for _, r := range runs {
		k := PipelineKey{Project: r.Project, ID: r.Pipeline}
		if r.Pipeline != "" && !seen[k] {
			seen[k] = true
			out.Pipelines = append(out.Pipelines, k)
		}
	}
	return out, nil
}

// ---- validation helpers ----

var nameRe = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]{0,126}[A-Za-z0-9])?$`)

func validateName(what, s string) error {
	if !nameRe.MatchString(s) || strings.Contains(s, "..") {
		return Errorf(EINVALID, "invalid %s %q: use letters, digits, '-', '_' and '.', starting and ending with a letter or digit", what, s)
	}
	return nil
}

// inputError says which argument named a missing version.
func inputError(what, uri string, err error) error {
	if ErrorCode(err) == ENOTFOUND {
		return Errorf(ENOTFOUND, "%s %s: no such artifact version", what, uri)
	}
	return err
}

// PipelineRuns lists the runs of one pipeline, newest first.
func (s *Service) PipelineRuns(ctx context.Context, p PipelineKey) ([]Run, error) {
	var out []Run
	page := Page{First: 1000}
	for {
		rp, err := s.Store.ListRuns(ctx, p.Project, page)
		if err != nil {
			return nil, err
		}
		for _, r := range rp.Runs {
			if r.Pipeline == p.ID {
				out = append(out, r)
			}
		}
		if !rp.HasNext {
			return out, nil
		}
		page.After = rp.EndCursor
	}
}

// UploadTicket lets a client stream a version's content in a plain HTTP
// request instead of a GraphQL multipart upload, which is buffered whole.
type UploadTicket struct {
	ID         string
	ExpiresAt  time.Time
	TargetPath string
}

type pendingUpload struct {
	req     LogRequest
	expires time.Time
	size    int64 // requestSize(req), counted in uploadsBytes
	busy    bool  // a PUT is streaming it now
}

// Upload ticket bounds: tickets are held in memory until used or expired,
// so their number, lifetime and total size are capped.
const (
	UploadTTL          = 15 * time.Minute
	MaxPendingUploads  = 1024
	MaxPendingUploadMB = 256 // total estimated size of the pending log calls
)

// CreateUpload validates a log call whose content will be streamed later and
// returns a ticket for it. Tickets live in this process's memory. A ticket
// is used up by a successful upload; a failed one (a short body, the limit,
// a lost connection) leaves it valid until it expires, so the client may
// retry. The content lands at the ticket's target path, or beside it when
// that is taken: the upload's answer says where.
func (s *Service) CreateUpload(ctx context.Context, req LogRequest) (UploadTicket, error) {
	if req.Body != nil || req.Content != nil || req.TargetPath != "" {
		return UploadTicket{}, Errorf(EINVALID, "an upload ticket takes its content in the upload: give no body, file or targetPath")
	}
	req.streamed = true
	p, err := s.prepareLog(ctx, req)
	if err != nil {
		return UploadTicket{}, err
	}
	req.streamed = false
	now := s.Now()
	t := UploadTicket{ID: NewUID() + NewUID(), ExpiresAt: now.Add(UploadTTL), TargetPath: p.version.TargetPath}
	size := requestSize(req)
	s.uploadsMu.Lock()
	defer s.uploadsMu.Unlock()
	if s.uploads == nil {
		s.uploads = map[string]*pendingUpload{}
	}
	s.sweepUploads(now)
	if len(s.uploads) >= MaxPendingUploads || s.uploadsBytes+size > MaxPendingUploadMB<<20 {
		return UploadTicket{}, Errorf(ELIMIT, "too many uploads are pending (at most %d, %d MiB); finish or let some expire, then try again", MaxPendingUploads, MaxPendingUploadMB)
	}
	s.uploads[t.ID] = &pendingUpload{req: req, expires: t.ExpiresAt, size: size}
	s.uploadsBytes += size
	return t, nil
}

// sweepUploads forgets expired tickets not being streamed; uploadsMu is held.
func (s *Service) sweepUploads(now time.Time) {
	for id, u := range s.uploads {
		if now.After(u.expires) && !u.busy {
			s.dropUpload(id)
		}
	}
}

func (s *Service) dropUpload(id string) {
	if u, ok := s.uploads[id]; ok {
		s.uploadsBytes -= u.size
		delete(s.uploads, id)
	}
}

// PendingUploads counts the tickets held in memory.
func (s *Service) PendingUploads() int {
	s.uploadsMu.Lock()
	defer s.uploadsMu.Unlock()
	s.sweepUploads(s.Now())
	return len(s.uploads)
}

// CompleteUpload streams body to the ticket's target path and commits the
// version, re-checking the log call against the store as it is now. Only
// one upload per ticket runs at a time (ECONFLICT otherwise); a failed one
// gives the ticket back.
func (s *Service) CompleteUpload(ctx context.Context, ticket string, body io.Reader) (Version, error) {
	s.uploadsMu.Lock()
	s.sweepUploads(s.Now())
	u, ok := s.uploads[ticket]
	if ok && u.busy {
		s.uploadsMu.Unlock()
		return Version{}, Errorf(ECONFLICT, "an upload for this ticket is already under way")
	}
	if ok {
		u.busy = true
	}
	s.uploadsMu.Unlock()
	if !ok {
		return Version{}, Errorf(ENOTFOUND, "upload ticket unknown, used or expired")
	}
	req := u.req
	req.Content = body
	v, err := s.LogArtifact(ctx, req)
	s.uploadsMu.Lock()
	defer s.uploadsMu.Unlock()
	u.busy = false
	if err == nil {
		s.dropUpload(ticket)
	}
	return v, err
}
