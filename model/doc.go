// Package model learns what sets an advertiser's seed list apart from
// everybody else and ranks everybody by it: positive–unlabeled learning,
// the seeds as positives and a sample of the population standing in for
// negatives.
//
// Fit standardizes the features with the population's mean and standard
// deviation (Standardizer), fits the kind Settings asks for — a linear
// direction (mean_difference, logistic, fisher), a similarity to the seeds'
// centroids (centroid, contrast, multi_centroid), their blend (ensemble),
// or boosted trees — or, for auto, cross-validates the candidates and
// refits the best on all rows, and returns a Model that scores raw feature
// rows in blocks, with a quality Report: held-out AUC, recall and lift at
// the top, the top features and a verdict. A Model is saved and loaded as
// a versioned JSON Artifact that refuses another feature schema.
//
// It is numerical code in the manner of gonum: plain Go on mat.Dense,
// configuration structs whose zero value works, errors as values, no
// logging. Measuring models on labelled tables with the seed-list protocol
// is in the eval subpackage.
package model
