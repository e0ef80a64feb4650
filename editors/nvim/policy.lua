-- Neovim (0.7 or later): start `policy lsp` for *.policy files.
-- Put this file in ~/.config/nvim/lua/ and `require('policy')` from init.lua,
-- or paste it into init.lua. `policy` must be on PATH (cargo install --path crates/cli).
vim.cmd([[autocmd BufRead,BufNewFile *.policy setfiletype policy]])

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'policy',
  callback = function(args)
    -- The folder holding the policy folders (policies/), so imports resolve.
    local root = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(args.buf), ':p:h:h')
    local id = vim.lsp.start_client({
      name = 'policy',
      cmd = { 'policy', 'lsp' },
      root_dir = root,
      workspace_folders = { { uri = vim.uri_from_fname(root), name = 'policies' } },
    })
    if id then
      vim.lsp.buf_attach_client(args.buf, id)
    end
    local opts = { buffer = args.buf }
    vim.keymap.set('n', 'K', vim.lsp.buf.hover, opts)
    vim.keymap.set('n', 'gd', vim.lsp.buf.definition, opts)
    vim.keymap.set('n', 'gr', vim.lsp.buf.references, opts)
    vim.keymap.set('n', '<leader>rn', vim.lsp.buf.rename, opts)
    vim.keymap.set('n', '<leader>ca', vim.lsp.buf.code_action, opts)
    vim.keymap.set('n', '<leader>f', vim.lsp.buf.formatting, opts)
  end,
})
