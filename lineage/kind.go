package lineage

// Kind is an artifact's kind. Its values are the GraphQL enum's names.
type Kind string

const (
	KindArtifact      Kind = "ARTIFACT"
	KindDir           Kind = "DIR"
	KindLink          Kind = "LINK"
	KindPlot          Kind = "PLOT"
	KindTable         Kind = "TABLE"
	KindDataset       Kind = "DATASET"
	KindModel         Kind = "MODEL"
	KindDocument      Kind = "DOCUMENT"
	KindFeatureSet    Kind = "FEATURE_SET"
	KindFeatureVector Kind = "FEATURE_VECTOR"
)

// Kinds lists every kind, in the schema's order.
var Kinds = []Kind{KindArtifact, KindDir, KindLink, KindPlot, KindTable, KindDataset,
	KindModel, KindDocument, KindFeatureSet, KindFeatureVector}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// URI prefixes, as MLRun 1.8+ writes them.
const (
	PrefixArtifacts      = "artifacts"
	PrefixModels         = "models"
	PrefixDatasets       = "datasets"
	PrefixDocuments      = "documents"
	PrefixFeatureSets    = "feature-sets"
	PrefixFeatureVectors = "feature-vectors"
)

// Prefix returns the store:// prefix that a URI of this kind carries.
func (k Kind) Prefix() string {
	switch k {
	case KindModel:
		return PrefixModels
	case KindDataset:
		return PrefixDatasets
	case KindDocument:
		return PrefixDocuments
	case KindFeatureSet:
		return PrefixFeatureSets
	case KindFeatureVector:
		return PrefixFeatureVectors
	default:
		return PrefixArtifacts
	}
}

// validPrefix reports whether p is a prefix some kind uses.
func validPrefix(p string) bool {
	switch p {
	case PrefixArtifacts, PrefixModels, PrefixDatasets, PrefixDocuments, PrefixFeatureSets, PrefixFeatureVectors:
		return true
	}
	return false
}

// MatchesPrefix reports whether a version of kind k may be named by a URI with
// prefix p. The generic "artifacts" prefix names a version of any kind, as MLRun
// accepts it; the specific prefixes name only their own kind.
func (k Kind) MatchesPrefix(p string) bool {
	return p == PrefixArtifacts || k.Prefix() == p
}
