package dev.orgmesh.assets;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The difference between the org's assets and the server. An empty plan means the server already matches.
 *
 * @param changes every change, streams and buckets before consumers
 */
public record AssetPlan(List<AssetChange> changes) {
    public AssetPlan {
        changes = List.copyOf(changes);
    }

    /** Whether nothing would change (extras kept without {@code --prune} do not count). */
    public boolean isEmpty() {
        return changes.stream().allMatch(c -> c.action() == AssetChange.Action.KEEP_EXTRA);
    }

    /** Changes of one action. */
    public List<AssetChange> of(AssetChange.Action action) {
        return changes.stream().filter(c -> c.action() == action).toList();
    }

    /** The plan as lines for a terminal, with a closing summary. */
    public String render() {
        if (changes.isEmpty()) {
            return "no changes: the server matches the org\n";
        }
        String lines = changes.stream().map(AssetChange::toString).collect(Collectors.joining("\n", "", "\n"));
        String summary = String.format("%d to create, %d to update, %d to remove", of(AssetChange.Action.CREATE).size(),
                of(AssetChange.Action.UPDATE).size(), of(AssetChange.Action.REMOVE).size());
        int extra = of(AssetChange.Action.KEEP_EXTRA).size();
        if (extra > 0) {
            summary += String.format(", %d no longer in the org (kept; pass --prune to remove)", extra);
        }
        return lines + summary + "\n";
    }
}
