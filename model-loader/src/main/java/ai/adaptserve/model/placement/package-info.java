/** Where the model runs and in which data type: the rule ({@link ai.adaptserve.model.placement.PlacementRule}). */
package ai.adaptserve.model.placement;
