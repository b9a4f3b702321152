package tarx

// ExtractTar is extractTar, for the fuzz target over the tar layer.
var ExtractTar = extractTar
