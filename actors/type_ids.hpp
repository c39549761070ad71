#pragma once

// Every value that crosses between the server's actors, registered with
// CAF's type system (CAF 0.17.6's backport of the 0.18 type ID blocks), so
// that CAF can serialize it: across a node boundary (BASP) as well as in
// tests. Register with `cfg.add_message_types<caf::id_block::chatroom>()`.
//
// Node-local by nature, and therefore not here: the socket's bytes between
// a connection broker and its session (plain std::vector<char> and atoms),
// and what the catalog hands to a stream (a video_source_ptr: open files).

#include <caf/type_id.hpp>

#include "actors/deadline_wheel.hpp"
#include "actors/outbound_budget.hpp"
#include "actors/registry.hpp"
#include "actors/video_stream.hpp"
#include "net/encoded.hpp"
#include "net/messages.hpp"
#include "net/video_messages.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(chatroom, caf::first_custom_type_id)

  // wire messages that actors also exchange
  CAF_ADD_TYPE_ID(chatroom, (::net::bytes))
  CAF_ADD_TYPE_ID(chatroom, (::net::peer_info))
  CAF_ADD_TYPE_ID(chatroom, (::net::deliver))
  CAF_ADD_TYPE_ID(chatroom, (::net::error_frame))
  CAF_ADD_TYPE_ID(chatroom, (::net::directory))
  CAF_ADD_TYPE_ID(chatroom, (::net::peer_keys))
  CAF_ADD_TYPE_ID(chatroom, (::net::encoded<::net::directory>))
  CAF_ADD_TYPE_ID(chatroom, (::net::video_list_request))
  CAF_ADD_TYPE_ID(chatroom, (::net::video_list))
  CAF_ADD_TYPE_ID(chatroom, (::net::play_request))
  CAF_ADD_TYPE_ID(chatroom, (::net::play_started))
  CAF_ADD_TYPE_ID(chatroom, (::net::video_ack))
  CAF_ADD_TYPE_ID(chatroom, (::net::video_control))
  CAF_ADD_TYPE_ID(chatroom, (::net::video_end))
  CAF_ADD_TYPE_ID(chatroom, (::net::play_waiting))

  // actor-to-actor values
  CAF_ADD_TYPE_ID(chatroom, (::actors::outgoing_video_frame))

  // typed handles carried in messages
  CAF_ADD_TYPE_ID(chatroom, (::actors::deadline_sink))
  CAF_ADD_TYPE_ID(chatroom, (::actors::error_sink))
  CAF_ADD_TYPE_ID(chatroom, (::actors::recipient))
  CAF_ADD_TYPE_ID(chatroom, (::actors::registry_member))
  CAF_ADD_TYPE_ID(chatroom, (::actors::shed_sink))

CAF_END_TYPE_ID_BLOCK(chatroom)
