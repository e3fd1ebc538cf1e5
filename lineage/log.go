package lineage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

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
	// sourcesOutsideUID leaves the sources out of the uid: a recorded
	// output's sources are re-resolved as late reports arrive (RecordRun),
	// and its uid must stay.
	sourcesOutsideUID bool
	links             []Link
	tags              []string
}

// Validate checks everything a log call says about itself, before anything
// is looked up: names, kind, iteration, tag, format, labels, sizes, extra,
// and that it gives exactly one source of content.
func (req LogRequest) Validate() error {
	if err := ValidateKey(req.Key); err != nil {
		return err
	}
	if !req.Kind.Valid() {
		return Errorf(EINVALID, "unknown kind %q", req.Kind)
	}
	if req.Iteration < 0 {
		return Errorf(EINVALID, "iteration must not be negative")
	}
	if req.Tag != "" {
		if err := ValidateTag(req.Tag); err != nil {
			return Errorf(EINVALID, "invalid tag %q", req.Tag)
		}
	}
	if req.Format != "" && !formatRe.MatchString(req.Format) {
		return Errorf(EINVALID, "invalid format %q", req.Format)
	}
	if err := validateLabels(req.Labels); err != nil {
		return err
	}
	if err := validateLogSize(req); err != nil {
		return err
	}
	if len(req.Extra) > 0 && !json.Valid(req.Extra) {
		return Errorf(EINVALID, "extra is not valid JSON")
	}
	for _, l := range req.Links {
		if err := validateName("link relation", l.Relation); err != nil {
			return err
		}
	}
	return req.validateContent()
}

// validateContent checks that the call gives its content one way: a body,
// a file, data in place, or (for an upload ticket) later.
func (req LogRequest) validateContent() error {
	switch {
	case req.Body != nil && req.Content != nil:
		return Errorf(EINVALID, "give body or file, not both")
	case req.TargetPath != "" && (req.Body != nil || req.Content != nil):
		return Errorf(EINVALID, "targetPath names data already in place: give no body or file with it")
	case req.TargetPath == "" && req.Body == nil && req.Content == nil && !req.streamed:
		return Errorf(EINVALID, "give the content (body or file) or the targetPath of data already in place")
	}
	return nil
}

// prepareLog validates a log call and works out its version, without
// writing anything.
func (s *Service) prepareLog(ctx context.Context, req LogRequest) (preparedLog, error) {
	if err := s.canWrite(ctx, req.Project); err != nil {
		return preparedLog{}, err
	}
	proj, err := s.Project(ctx, req.Project)
	if err != nil {
		return preparedLog{}, err
	}
	if err := req.Validate(); err != nil {
		return preparedLog{}, err
	}
	content := req.Content
	if req.Body != nil {
		if s.Config.MaxUploadBytes > 0 && int64(len(*req.Body)) > s.Config.MaxUploadBytes {
			return preparedLog{}, Errorf(ELIMIT, "body is larger than the upload limit of %d bytes", s.Config.MaxUploadBytes)
		}
		content = strings.NewReader(*req.Body)
	}
	var run *Run
	if req.RunUID != "" {
		r, err := s.Run(ctx, RunKey{Project: proj.Name, UID: req.RunUID})
		if err != nil {
			return preparedLog{}, err
		}
		run = &r
	}
	sourceUIDs, external, err := s.resolveSources(ctx, req.Sources)
	if err != nil {
		return preparedLog{}, err
	}
	links, err := s.resolveLinks(ctx, req.Links)
	if err != nil {
		return preparedLog{}, err
	}
	target, err := s.logTarget(proj, run, req)
	if err != nil {
		return preparedLog{}, err
	}
	v := newVersion(proj, run, req, s.now())
	v.TargetPath, v.ExternalSources = target, external
	if content == nil {
		v.Size, v.Hash = req.KnownSize, req.KnownHash
	}
	var tags []string
	if req.Tag != "" && req.Tag != TagLatest {
		tags = []string{req.Tag}
	}
	return preparedLog{version: v, content: content, sourceUIDs: Dedupe(sourceUIDs), links: links, tags: tags}, nil
}

// resolveSources splits a log call's sources into the uids of the versions
// its store:// URIs name and the external locations it names.
func (s *Service) resolveSources(ctx context.Context, sources []string) (uids, external []string, err error) {
	for _, src := range sources {
		switch {
		case strings.HasPrefix(src, URIScheme):
			v, _, err := s.Resolve(ctx, src)
			if err != nil {
				return nil, nil, inputError("source", src, err)
			}
			uids = append(uids, v.UID)
		case IsURL(src) || strings.HasPrefix(src, "/"):
			external = append(external, src)
		default:
			return nil, nil, Errorf(EINVALID, "source %q is neither a store:// URI nor a URL", src)
		}
	}
	return uids, external, nil
}

// resolveLinks finds the versions a log call's links point at.
func (s *Service) resolveLinks(ctx context.Context, reqs []LinkRequest) ([]Link, error) {
	var links []Link
	for _, l := range reqs {
		v, _, err := s.Resolve(ctx, l.URI)
		if err != nil {
			return nil, inputError("link", l.URI, err)
		}
		links = append(links, Link{Relation: l.Relation, UID: v.UID})
	}
	return links, nil
}

// logTarget is where a log call's content is: the data in place it names,
// or a location under the artifact path that wins (call, run, project,
// server, default), which must lie inside the blob roots.
func (s *Service) logTarget(proj Project, run *Run, req LogRequest) (string, error) {
	if req.TargetPath != "" {
		return req.TargetPath, ValidateArtifactPath(req.TargetPath)
	}
	choice := ArtifactPathChoice{Call: req.ArtifactPath, Project: proj.ArtifactPath,
		Server: s.Config.ServerArtifactPath, Default: s.Config.DefaultArtifactPath}
	runUID := ""
	if run != nil {
		choice.Run = run.ArtifactPath
		runUID = run.UID
	}
	path, err := choice.Resolve(proj.Name, runUID)
	if err != nil {
		return "", err
	}
	target := TargetPath(path, req.Key, req.Format, run, req.Iteration)
	if err := ValidateArtifactPath(target); err != nil {
		return "", err
	}
	return target, s.checkWritable(target)
}

// newVersion is the version a log call describes, before its content is
// known: its producer is the run that logged it, the project, or the one
// an import gives.
func newVersion(proj Project, run *Run, req LogRequest, now time.Time) Version {
	v := Version{
		Project: proj.Name, Key: req.Key, Kind: req.Kind, Iteration: req.Iteration,
		Labels: req.Labels, Description: req.Description, CreatedAt: now, UpdatedAt: now,
		Format: req.Format, Dataset: req.Dataset, Model: req.Model, Extra: req.Extra,
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
	return v
}

// commitLog writes the content, then the version: a failed write leaves no
// version behind, and a version never points at content not yet durable.
// Stored content goes where the blob store put it (a fresh location when
// the target was taken, so nothing is ever replaced); a call that ends up
// writing no new version removes the blob it wrote, so it leaves neither
// an orphan nor a version behind.
func (s *Service) commitLog(ctx context.Context, p preparedLog) (Version, error) {
	if p.content == nil {
		// Data in place. The hash is checked first, unlocked, as it reads the
		// whole content; the commit is ordered with deletions (which check
		// references) and checks again that the content is still there.
		if err := s.verifyInPlace(ctx, p.version.TargetPath, p.version.Hash); err != nil {
			return Version{}, err
		}
		s.contentMu.RLock()
		defer s.contentMu.RUnlock()
		return s.putInPlace(ctx, p)
	}
	w, written, err := s.storeContent(ctx, p)
	if err != nil {
		return Version{}, err
	}
	out, created, err := s.store.PutVersion(ctx, w)
	s.settle(ctx, written, out, created, err)
	return out, err
}

// storeContent writes p's content and returns the write of its version:
// where the blob landed, its size, hash and uid.
func (s *Service) storeContent(ctx context.Context, p preparedLog) (w VersionWrite, written string, err error) {
	v := p.version
	info, err := s.blobs.Put(ctx, v.TargetPath, p.content, s.Config.MaxUploadBytes)
	if err != nil {
		return VersionWrite{}, "", err
	}
	if info.Location == "" {
		info.Location = v.TargetPath
	}
	v.Size, v.Hash, v.Stored = &info.Size, info.Hash, true
	// The uid comes from the content, not where it landed: an identical
	// retry lands elsewhere but is the same version.
	v.UID = versionUID(v, p.sourceUIDs, p.links)
	v.TargetPath = info.Location
	return VersionWrite{Version: v, Tags: p.tags, Sources: p.sourceUIDs, Links: p.links}, info.Location, nil
}

// settle ends a log once the store answered: a call that wrote no new
// version removes the blob it wrote (written, "" for none), so it leaves
// neither an orphan nor a version behind; should that fail too, it is an
// orphan gc collects. A new version is published.
func (s *Service) settle(ctx context.Context, written string, out Version, created bool, err error) {
	if err != nil || !created {
		if written != "" && written != out.TargetPath {
			_ = s.blobs.Delete(context.WithoutCancel(ctx), written)
		}
		return
	}
	s.events.Publish(out)
}

// putInPlace commits a log of data in place, after checking that the
// content is still there. The caller holds contentMu.
func (s *Service) putInPlace(ctx context.Context, p preparedLog) (Version, error) {
	w, err := s.inPlaceWrite(ctx, p)
	if err != nil {
		return Version{}, err
	}
	out, created, err := s.store.PutVersion(ctx, w)
	s.settle(ctx, "", out, created, err)
	return out, err
}

// inPlaceWrite is the write of a log of data in place, once its content is
// known to be still there. The caller holds contentMu.
func (s *Service) inPlaceWrite(ctx context.Context, p preparedLog) (VersionWrite, error) {
	v := p.version
	if err := s.verifyInPlace(ctx, v.TargetPath, ""); err != nil {
		return VersionWrite{}, err
	}
	identity := p.sourceUIDs
	if p.sourcesOutsideUID {
		identity = nil
	}
	v.UID = versionUID(v, identity, p.links)
	return VersionWrite{Version: v, Tags: p.tags, Sources: p.sourceUIDs, Links: p.links}, nil
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
	b, err := s.blobs.Open(ctx, target)
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
