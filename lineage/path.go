package lineage

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// templateRe matches "{{ name }}" placeholders in an artifact path.
var templateRe = regexp.MustCompile(`\{\{\s*([^{}\s]*)\s*\}\}`)

// FillArtifactPath fills {{project}} and {{run.uid}} in path. {{run.uid}}
// without a run, or any other placeholder, is EINVALID.
func FillArtifactPath(path, project, runUID string) (string, error) {
	var err error
	out := templateRe.ReplaceAllStringFunc(path, func(m string) string {
		switch name := templateRe.FindStringSubmatch(m)[1]; name {
		case "project":
			return project
		case "run.uid":
			if runUID == "" {
				err = Errorf(EINVALID, "artifact path %q uses {{run.uid}} outside a run", path)
			}
			return runUID
		default:
			err = Errorf(EINVALID, "artifact path %q: unknown placeholder {{%s}} (known: {{project}}, {{run.uid}})", path, name)
			return m
		}
	})
	if err != nil {
		return "", err
	}
	return out, nil
}

// ArtifactPathChoice lists the artifact paths a log may use, highest
// precedence first, as API.md orders them: the call's, the run's, the
// project's, the server's, the default.
type ArtifactPathChoice struct {
	Call, Run, Project, Server, Default string
}

// Resolve returns the first non-empty path with its templates filled in.
func (c ArtifactPathChoice) Resolve(project, runUID string) (string, error) {
	for _, p := range []string{c.Call, c.Run, c.Project, c.Server, c.Default} {
		if p != "" {
			filled, err := FillArtifactPath(p, project, runUID)
			if err != nil {
				return "", err
			}
			return filled, ValidateArtifactPath(filled)
		}
	}
	return "", Errorf(EINVALID, "no artifact path configured")
}

// ValidateArtifactPath accepts a data-store URL (scheme://…) or an absolute
// local path. A path with ".." segments is refused, so that keys and
// templates cannot climb out of the place an administrator chose.
func ValidateArtifactPath(p string) error {
	if p == "" {
		return Errorf(EINVALID, "empty artifact path")
	}
	if err := validatePathLen("the artifact path", p); err != nil {
		return err
	}
	if hasControl(p) {
		return Errorf(EINVALID, "artifact path %q has control characters", p)
	}
	local := p
	if IsURL(p) {
		u, err := url.Parse(p)
		if err != nil || u.Scheme == "" {
			return Errorf(EINVALID, "artifact path %q is not a valid URL", p)
		}
		if u.Scheme == "file" && (u.Host != "" || !strings.HasPrefix(u.Path, "/")) {
			return Errorf(EINVALID, "artifact path %q: file URLs take the form file:///absolute/path", p)
		}
		// Stores use the decoded path: %00 or %0A there is a NUL or newline
		// no file or object name may hold.
		if hasControl(u.Path) || hasControl(u.Host) {
			return Errorf(EINVALID, "artifact path %q has control characters", p)
		}
		local = u.Path
	} else if !strings.HasPrefix(p, "/") {
		return Errorf(EINVALID, "artifact path %q must be an absolute path or a URL such as gs://bucket/prefix", p)
	}
	for _, seg := range strings.Split(local, "/") {
		if seg == ".." {
			return Errorf(EINVALID, "artifact path %q must not contain '..'", p)
		}
	}
	return nil
}

// IsURL reports whether p is written as scheme://…: such paths are data-store
// URLs and never treated as local paths, except file://.
func IsURL(p string) bool {
	scheme, _, ok := strings.Cut(p, "://")
	return ok && scheme != "" && !strings.ContainsAny(scheme, "/.")
}

// TargetPath is where a logged artifact's content goes:
// <path>/<key><suffix> without a run, <path>/<run name>/<iteration>/<key><suffix>
// with one. The suffix is "."+format when a format is given.
func TargetPath(artifactPath, key, format string, run *Run, iteration int) string {
	base := strings.TrimRight(artifactPath, "/")
	name := key
	if format != "" {
		name += "." + strings.TrimPrefix(format, ".")
	}
	if run == nil {
		return base + "/" + name
	}
	return base + "/" + run.Name + "/" + strconv.Itoa(iteration) + "/" + name
}
