package dev.orgmesh.console.live;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonUnwrapped;

import dev.orgmesh.protocol.Presence;
import dev.orgmesh.protocol.directory.DirectoryWire.ChartView;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;

/**
 * The org chart as the page draws it: the directory's own {@code chart} reply (protocol's {@code DirectoryWire}, the
 * same shape {@code {co}.org.chart} answers, its fields at the top level) plus every member's presence, which the
 * directory does not know. The console makes it from the org it loaded rather than asking the directory, so the page
 * works while hub-bootstrap is away.
 *
 * @param chart the directory's chart of the org
 * @param presence member id → presence, for every member, in file order
 */
public record OrgView(@JsonUnwrapped ChartView chart, Map<String, PresenceView> presence) {

    /** The chart of {@code org} with the beacons in {@code beacons} (member id → last beacon) at {@code now}. */
    public static OrgView of(Org org, Map<String, Presence> beacons, Instant now) {
        Map<String, PresenceView> presence = new LinkedHashMap<>();
        for (Member m : org.members()) {
            presence.put(m.id(), PresenceView.of(beacons.get(m.id()), now));
        }
        return new OrgView(ChartView.of(org), presence);
    }
}
