#include "actors/catalog_actor.hpp"

#include <caf/spawn_options.hpp>

namespace actors {

const char* catalog_state::name = "catalog";

namespace {

using self_ptr = catalog_actor::stateful_pointer<catalog_state>;
using source_promise = caf::typed_response_promise<video::video_source_ptr>;

std::vector<std::string> problem_lines(const video::catalog& c) {
  std::vector<std::string> out;
  for (auto& p : c.problems)
    out.push_back(p.file + ": " + p.reason);
  for (auto& u : c.unavailable)
    out.push_back("video " + u.id + ": " + u.reason);
  return out;
}

// Asks the worker for a fresh scan; `then` runs once it is in place.
void scan(self_ptr self, std::function<void()> then) {
  self->request(self->state.worker, caf::infinite, scan_atom::value)
      .then(
          [=](catalog_ptr& c) {
            auto& st = self->state;
            st.current = std::move(c);
            // Stores of the old scan stay alive for running streams; new
            // requests reopen (and so validate) the caches.
            st.sources.clear();
            if (st.cfg.log)
              st.cfg.log(
                  "catalog: " + std::to_string(st.current->videos.size()) +
                  " videos, " + std::to_string(st.current->problems.size()) +
                  " problems");
            auto pending = std::move(st.after_scan);
            st.after_scan.clear();
            for (auto& f : pending)
              f();
            if (then)
              then();
          },
          [=](caf::error& err) {
            // Without a worker there is no catalog: an empty one, with why.
            auto c = std::make_shared<video::catalog>();
            c->problems.push_back({self->state.cfg.videos_dir,
                                   "scan failed: " + net::describe(err)});
            self->state.current = std::move(c);
            auto pending = std::move(self->state.after_scan);
            self->state.after_scan.clear();
            for (auto& f : pending)
              f();
            if (then)
              then();
          });
}

std::string known_ids(const video::catalog& c) {
  std::string s;
  for (auto& v : c.videos)
    s += (s.empty() ? "" : ", ") + v.id;
  return s.empty() ? "none" : s;
}

void resolve(self_ptr self, const std::string& request, source_promise rp) {
  auto& st = self->state;
  auto entry = st.current->find(request);
  if (auto u = entry ? nullptr : st.current->find_unavailable(request)) {
    rp.deliver(net::make_error(net::errc::not_found, "video \"" + u->id +
                                                         "\" is unavailable: " +
                                                         u->reason));
    return;
  }
  if (entry == nullptr) {
    rp.deliver(net::make_error(
        net::errc::not_found, "unknown video \"" + request + "\" (available: " +
                                  known_ids(*st.current) + ")"));
    return;
  }
  auto id = entry->id;
  if (auto i = st.sources.find(id); i != st.sources.end()) {
    rp.deliver(i->second);
    return;
  }
  auto& waiting = st.building[id];
  waiting.push_back(std::move(rp));
  if (waiting.size() > 1)
    return; // a build is under way
  auto ptr = std::make_shared<const video::video_entry>(*entry);
  auto scanned = st.current;
  self->request(st.worker, caf::infinite, build_atom::value, ptr)
      .then(
          [=](video::video_source_ptr& src) {
            auto& st = self->state;
            if (st.current == scanned)
              st.sources[id] = src;
            auto ps = std::move(st.building[id]);
            st.building.erase(id);
            for (auto& p : ps)
              p.deliver(src);
          },
          [=](caf::error& err) {
            auto& st = self->state;
            auto ps = std::move(st.building[id]);
            st.building.erase(id);
            for (auto& p : ps)
              p.deliver(err);
          });
}

} // namespace

catalog_worker_actor::behavior_type
catalog_worker(catalog_worker_actor::pointer, catalog_settings cfg) {
  return {
      [cfg](scan_atom) -> catalog_ptr {
        return std::make_shared<const video::catalog>(
            video::scan_catalog(cfg.videos_dir, cfg.probe, cfg.log));
      },
      [cfg](build_atom,
            video_entry_ptr& e) -> caf::result<video::video_source_ptr> {
        std::vector<video::frame_store_ptr> stores;
        std::string why;
        for (auto& r : e->renditions) {
          video::frame_store::options opts;
          opts.stop = cfg.probe.stop;
          auto s = video::frame_store::open(e->id, r, cfg.cache_dir, cfg.log,
                                            opts);
          if (!s) {
            // One bad rendition must not take the others down.
            why = net::describe(s.error());
            if (cfg.log)
              cfg.log("skipping " + r.path + ": " + why);
            continue;
          }
          stores.push_back(std::move(*s));
        }
        if (stores.empty())
          return net::make_error(
              net::errc::io, "video " + e->id + " cannot be served: " + why);
        auto src = video::make_video_source(e->id, std::move(stores));
        if (!src)
          return src.error();
        return std::move(*src);
      },
  };
}

catalog_actor::behavior_type
catalog_service(catalog_actor::stateful_pointer<catalog_state> self,
                catalog_settings cfg) {
  // The worker's scans and builds run for as long as the files need; they
  // look at this flag between frames, so the catalog's end (the server's
  // stop) ends them at once instead of after the file.
  auto stop = std::make_shared<std::atomic<bool>>(false);
  self->attach_functor([stop] { stop->store(true); });
  cfg.probe.stop = stop;
  self->state.cfg = cfg;
  self->state.worker =
      self->spawn<caf::detached + caf::linked>(catalog_worker, cfg);
  scan(self, [=] {
    if (!self->state.cfg.warm)
      return;
    // Warm-up: resolve each video once, exactly as a first PLAY would; a
    // PLAY arriving meanwhile joins the same build.
    for (auto& v : self->state.current->videos)
      self->request(caf::actor_cast<catalog_actor>(self), caf::infinite,
                    net::play_request{v.id, "", 0})
          .then([](video::video_source_ptr&) {}, [](caf::error&) {});
  });
  return {
      [=](net::video_list_request&) -> caf::result<net::video_list> {
        auto& st = self->state;
        if (st.current)
          return st.current->list();
        auto rp = self->make_response_promise<net::video_list>();
        st.after_scan.push_back(
            [=]() mutable { rp.deliver(self->state.current->list()); });
        return rp;
      },
      [=](net::play_request& req) -> caf::result<video::video_source_ptr> {
        auto& st = self->state;
        auto rp = self->make_response_promise<video::video_source_ptr>();
        if (st.current)
          resolve(self, req.video, rp);
        else
          st.after_scan.push_back([=]() { resolve(self, req.video, rp); });
        return rp;
      },
      [=](rescan_atom) -> caf::result<std::vector<std::string>> {
        auto rp = self->make_response_promise<std::vector<std::string>>();
        scan(self, [=]() mutable {
          rp.deliver(problem_lines(*self->state.current));
        });
        return rp;
      },
  };
}

} // namespace actors
