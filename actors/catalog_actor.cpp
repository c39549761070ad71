#include "actors/catalog_actor.hpp"

#include <algorithm>
#include <cstdint>

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

// "preparing video_3: 37% done, about 75 s left"
std::string describe_progress(const std::string& id,
                              const video::build_progress& p,
                              video::build_progress::clock::time_point now) {
  auto permille = p.done_permille();
  auto text = "preparing " + id + ": " + std::to_string(permille / 10) +
              "% done";
  if (auto left = p.remaining(now))
    text += ", about " + std::to_string((left->count() + 999) / 1000) +
            " s left";
  return text;
}

std::string known_ids(const video::catalog& c) {
  std::string s;
  for (auto& v : c.videos)
    s += (s.empty() ? "" : ", ") + v.id;
  return s.empty() ? "none" : s;
}

// How far the build that `request` waits for is (video "" for none).
net::play_waiting waiting_for(self_ptr self, const std::string& request) {
  auto& st = self->state;
  auto entry = st.current ? st.current->find(request) : nullptr;
  if (!entry)
    return {};
  auto i = st.building.find(entry->id);
  if (i == st.building.end())
    return {};
  auto& p = *i->second.progress;
  auto left = p.remaining();
  return {0, entry->id, p.done_permille(),
          left ? static_cast<uint32_t>(
                     std::clamp<int64_t>(left->count(), 1, UINT32_MAX))
               : 0u};
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
  auto& b = st.building[id];
  b.promises.push_back(std::move(rp));
  if (b.promises.size() == 1) {
    // The first request starts the build; later ones join it.
    b.progress = std::make_shared<video::build_progress>(*entry);
    auto ptr = std::make_shared<const video::video_entry>(*entry);
    auto scanned = st.current;
    auto done = [=](caf::expected<video::video_source_ptr> result) {
      auto& st = self->state;
      if (result && st.current == scanned)
        st.sources[id] = *result;
      auto b = std::move(st.building[id]);
      st.building.erase(id);
      for (auto& p : b.promises)
        if (result)
          p.deliver(*result);
        else
          p.deliver(result.error());
    };
    self->request(st.worker, caf::infinite, build_atom::value, ptr, b.progress)
        .then([=](video::video_source_ptr& src) { done(std::move(src)); },
              [=](caf::error& err) { done(std::move(err)); });
  }
}

} // namespace

catalog_worker_actor::behavior_type
catalog_worker(catalog_worker_actor::pointer, catalog_settings cfg) {
  return {
      [cfg](scan_atom) -> catalog_ptr {
        return std::make_shared<const video::catalog>(
            video::scan_catalog(cfg.videos_dir, cfg.probe, cfg.log));
      },
      [cfg](build_atom, video_entry_ptr& e, build_progress_ptr& progress)
          -> caf::result<video::video_source_ptr> {
        std::vector<video::frame_store_ptr> stores;
        std::string why;
        progress->begin();
        auto next_log =
            video::build_progress::clock::now() + cfg.progress_log_interval;
        for (size_t i = 0; i < e->renditions.size(); ++i) {
          auto& r = e->renditions[i];
          video::frame_store::options opts;
          opts.stop = cfg.probe.stop;
          opts.on_frame = [&, i](uint32_t frames) {
            progress->advance(i, frames);
            auto now = video::build_progress::clock::now();
            if (now < next_log || !cfg.log)
              return;
            next_log = now + cfg.progress_log_interval;
            cfg.log(describe_progress(e->id, *progress, now));
          };
          auto s = video::frame_store::open(e->id, r, cfg.cache_dir, cfg.log,
                                            opts);
          if (!s || !(*s)->built())
            progress->skip(i);
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
      [=](caf::get_atom,
          net::play_request& req) -> caf::result<net::play_waiting> {
        auto& st = self->state;
        if (st.current)
          return waiting_for(self, req.video);
        // A PLAY sent before this waits for the scan too, and starts its
        // build right after it: answer then.
        auto rp = self->make_response_promise<net::play_waiting>();
        st.after_scan.push_back(
            [=]() mutable { rp.deliver(waiting_for(self, req.video)); });
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
