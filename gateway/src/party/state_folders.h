#pragma once
// The folders of a state folder that the services write batch files into, and
// the state folder's identity: what a service needs of the state's layout,
// without the rest of the Gateway.

#include <filesystem>
#include <string>

namespace passerelle::exchange {

struct StateFolders {
    std::filesystem::path outbox;      // sealed batches (institution)
    std::filesystem::path inbox;       // received batches (Region)
    std::filesystem::path quarantine;  // quarantine reports
    // Which batch carried which pseudonym (store/carried_pseudonyms.h).
    std::filesystem::path carried;
    // This state folder's identity (a random id kept in `.folder-id`): where a batch's
    // files are, so an instance claims only batches whose files it can read (instances
    // sharing one folder share its id).
    std::string folderId;

    static StateFolders in(const std::filesystem::path& stateDir, std::string folderId) {
        return {stateDir / "outbox", stateDir / "inbox", stateDir / "quarantine", stateDir / "carried",
                std::move(folderId)};
    }
};

}  // namespace passerelle::exchange
